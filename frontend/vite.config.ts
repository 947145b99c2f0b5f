import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// `base: './'` keeps every asset URL relative: the Rust server rewrites
// `<base href="/">` in index.html when the dashboard lives under a sub-path.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    // `npm run dev` talks to the throwaway mock (`npm run dev:mock`) or to a
    // real server given by DIUN_DASHBOARD_DEV_API.
    proxy: {
      '/api': process.env.DIUN_DASHBOARD_DEV_API ?? 'http://127.0.0.1:8787',
      '/webhook': process.env.DIUN_DASHBOARD_DEV_API ?? 'http://127.0.0.1:8787',
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
