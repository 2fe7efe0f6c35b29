/**
 * The nginx baseline's configuration: a foreground nginx on loopback whose pid, logs and temp paths
 * all live in the benchmark's folder. OTA checks go to the same fake upstream through `proxy_pass`
 * with `sub_filter` rewriting the websocket URL; `/firmware/` is served from the catalog folder with
 * sendfile.
 */

export interface NginxConfigOptions {
  /** The folder nginx runs in (`-p`): pid, logs and temp paths go here. */
  readonly prefix: string;
  readonly port: number;
  readonly upstreamPort: number;
  /** The folder whose files `/firmware/<file>` serves. */
  readonly firmwareDir: string;
  readonly otaPath: string;
  /** The websocket URL prefix the upstream hands out, and what it becomes (`$host` allowed). */
  readonly websocketFrom: string;
  readonly websocketTo: string;
  /** One worker: the proxy is one Node process, so each side gets one event loop. */
  readonly workers?: number;
}

/** nginx.conf text for the baseline. */
export function nginxConfig({
  prefix,
  port,
  upstreamPort,
  firmwareDir,
  otaPath,
  websocketFrom,
  websocketTo,
  workers = 1,
}: NginxConfigOptions): string {
  const dir = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const firmware = firmwareDir.endsWith('/') ? firmwareDir : `${firmwareDir}/`;
  return `# written by bench/nginx-config.ts — the nginx baseline of npm run bench
worker_processes ${workers};
pid ${dir}nginx.pid;
error_log ${dir}nginx-error.log warn;

events {
  worker_connections 16384;
}

http {
  access_log off;
  client_body_temp_path ${dir}client_body;
  proxy_temp_path ${dir}proxy_temp;
  fastcgi_temp_path ${dir}fastcgi_temp;
  uwsgi_temp_path ${dir}uwsgi_temp;
  scgi_temp_path ${dir}scgi_temp;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types {
    application/octet-stream bin;
    application/json json;
  }
  default_type application/octet-stream;

  upstream xiaozhi {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }

  server {
    listen 127.0.0.1:${port};

    location = ${otaPath} {
      proxy_pass http://xiaozhi;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      # sub_filter only rewrites uncompressed bodies.
      proxy_set_header Accept-Encoding "";
      sub_filter_types application/json;
      sub_filter_once on;
      sub_filter '${websocketFrom}' '${websocketTo}';
    }

    location /firmware/ {
      alias ${firmware};
    }
  }
}
`;
}
