/**
 * `npm start`: the same as `picokube up` (scripts/launcher/up.ts), kept under this name because
 * package.json points `start` here. Flags pass through: `npm start -- --dir DIR --detach`.
 */
import { main } from './launcher/up.js';

await main(process.argv.slice(2));
