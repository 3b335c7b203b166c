export * from './errors/index.js';
export * from './config/index.js';
export * from './policy/index.js';
export * from './crypto/index.js';
export * from './tokens/index.js';
