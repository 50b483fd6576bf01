/** The key under which the integration global setup provides the resolved control-plane source. */
import type { ControlPlaneSource } from './types.js';

export const CONTROL_PLANE_KEY = 'keylessControlPlane';

declare module 'vitest' {
  export interface ProvidedContext {
    keylessControlPlane: ControlPlaneSource;
  }
}
