/** `sepconv serve`: the web page (web/dist, built with `npm run web:build`) on a local static HTTP server. */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePositiveInt } from '../args.js';
import type { Command } from '../command.js';
import { CommandError } from '../output.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** The folder holding sepconv's package.json (this file runs from src/ or build/src/, at different depths). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new CommandError('cannot find the sepconv package folder (no package.json above the CLI)');
    dir = parent;
  }
  return dir;
}

/** Where `npm run web:build` puts the page. */
export function defaultSiteDir(): string {
  return join(packageRoot(), 'web', 'dist');
}

export interface StaticServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Serves the files under `dir` (GET and HEAD; `/` and folders answer with their index.html; nothing outside `dir`)
 * on host:port (port 0 picks a free one). Resolves once listening.
 */
export function startStaticServer(dir: string, host = '127.0.0.1', port = 0): Promise<StaticServer> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('bad request path');
      return;
    }
    let file = resolve(root, `.${path}`);
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('outside the site folder');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolvePromise({
        url: `http://${shownHost}:${address.port}/`,
        server,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the web page (explainer, model explorer, run, train) on localhost',
  description: 'Serves the built web page from web/dist with a small static HTTP server until Ctrl-C. Build the page ' +
    "first with 'npm run web:build' in a checkout of sepconv (it needs the dev dependencies); 'npm run web' builds and serves.",
  positionals: [],
  options: {
    port: { type: 'string', short: 'p', valueName: 'N', description: 'port to listen on (0 picks a free one)', defaultText: '8080' },
    host: { type: 'string', valueName: 'ADDRESS', description: 'address to listen on', defaultText: '127.0.0.1' },
    dir: { type: 'string', valueName: 'FOLDER', description: 'the built site', defaultText: 'web/dist of the package' },
  },
  examples: ['serve', 'serve --port 9000'],
  async run(ctx) {
    const portText = ctx.string('port') ?? '8080';
    const port = portText.trim() === '0' ? 0 : parsePositiveInt(portText, 'port');
    const dir = ctx.string('dir') ?? defaultSiteDir();
    if (!existsSync(join(dir, 'index.html')))
      throw new CommandError(`no built page in '${dir}' (index.html is missing); build it with 'npm run web:build' ` +
        "in a checkout of sepconv, or run 'npm run web' to build and serve");
    let site: StaticServer;
    try {
      site = await startStaticServer(dir, ctx.string('host') ?? '127.0.0.1', port);
    } catch (err) {
      throw new CommandError(`cannot listen on port ${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; choose another with --port`);
    }
    ctx.io.stdout.write(`Serving ${dir} at ${site.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void site.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
