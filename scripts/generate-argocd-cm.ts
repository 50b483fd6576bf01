import { writeFile } from 'node:fs/promises';
import { ARGOCD_CM_PATH, renderArgocdCm } from './argocd-cm.js';

await writeFile(ARGOCD_CM_PATH, renderArgocdCm());
console.log(`wrote ${ARGOCD_CM_PATH}`);
