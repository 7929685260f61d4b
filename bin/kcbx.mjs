#!/usr/bin/env node
// Runs the TypeScript CLI in place (no build step), with tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
