import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API to a running gateway (GATEWAY_URL, default the `make dev` one).
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 700 },
  server: { proxy: { "/api": { target: process.env.GATEWAY_URL ?? "http://127.0.0.1:8000", changeOrigin: false } } },
});
