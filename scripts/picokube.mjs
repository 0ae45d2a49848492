#!/usr/bin/env node
// npx picokube: loads the TypeScript sources through tsx, then runs the command.
import { register } from 'tsx/esm/api';

register();
await import('./picokube.ts');
