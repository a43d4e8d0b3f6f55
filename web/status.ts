/** A run's status as a coloured badge. */
import { h } from './dom.js';

const KNOWN = new Set(['running', 'completed', 'failed', 'interrupted', 'unknown', 'error']);

export function statusBadge(status: string, id?: string): HTMLElement {
  return h('span', { class: `badge status-${KNOWN.has(status) ? status : 'unknown'}`, id, 'data-status': status }, status);
}
