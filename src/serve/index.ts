export { startServer, isLoopback, type ServeOptions, type RunningServer } from './server.js';
export { RunsFolder, fileUrl } from './runs-view.js';
export { EventsTail, FolderWatch, Poller, streamRun } from './live.js';
export { parseNpyHeader, type NpyHeader } from './npy-header.js';
export { loadWebApp, type WebApp } from './web-app.js';
export type * from './types.js';
