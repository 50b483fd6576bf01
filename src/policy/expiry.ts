import type { IdentityBinding } from '../api/index.js';
import { parseDuration } from './duration.js';

/**
 * When a binding's grants end: `spec.expiresAt`, or `spec.duration` after the binding was created.
 * Counting from creation keeps the end fixed across restarts and re-observations.
 */
export function grantsEndAt(binding: IdentityBinding): Date | undefined {
  if (binding.spec.expiresAt) return new Date(binding.spec.expiresAt);
  if (binding.spec.duration && binding.metadata.creationTimestamp) {
    return new Date(Date.parse(binding.metadata.creationTimestamp) + parseDuration(binding.spec.duration));
  }
  return undefined;
}
