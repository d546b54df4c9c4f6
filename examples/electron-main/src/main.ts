/**
 * Electron main process entry: start the persistence service once the app is
 * ready; it stops by itself on quit (see persistenceForElectron.ts).
 *
 * better-sqlite3 is a native addon compiled for Node's ABI; Electron has its
 * own. Rebuild it for your Electron version before packaging:
 *   npx @electron/rebuild -f -w better-sqlite3
 * (or `electron-builder install-app-deps`). Without that, loading it fails
 * with "was compiled against a different Node.js version".
 */
import { app } from 'electron';
import { startPersistenceForElectron } from './persistenceForElectron';

app.whenReady().then(async () => {
  const persistence = await startPersistenceForElectron(app);
  console.log(`FlowTrace persistence ready on ${persistence.socketPath}`);
});
