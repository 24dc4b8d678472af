// The dashboard is built to web/dist and served by `appaudit serve --web-dir web/dist` at /.
// Relative asset URLs, so the same build also works from a sub-path. Charts (ECharts) go to
// their own chunk so the app code stays small and cacheable on its own.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts';
          return undefined;
        },
      },
    },
  },
  server: {
    // For `npm run dev` against a running `appaudit serve` (APPAUDIT_API, default :8080).
    proxy: { '/api': process.env.APPAUDIT_API ?? 'http://127.0.0.1:8080' },
  },
});
