/**
 * 简体中文. Exactly the keys of `en.ts`, in its order, with the same `{name}` holes (test/unit/i18n-catalogs
 * checks both). Technical identifiers stay as written: config keys (`websocket.url`, `mqtt: strip`),
 * header names, URLs, `ws://`, file names, status words in code spans.
 * Terms, as the xiaozhi-esp32-server community writes them: 固件, 设备, 上游服务器, 代理, 反向代理, 时区,
 * 回退应答, 断路器, OTA 地址, 激活, 激活码, 智控台 (manager-web), 语音通道, 固件目录 (catalog),
 * 设备保护层 (the device guard), 重写规则 (rewrite), 灰度 (rollout), 占位符 (placeholder).
 */
import type { Catalog } from '../catalog.js';
import { consoleZhCN } from './console-zh-CN.js';

export const zhCN = {
  // ── xiaozhi-ota-proxy (src/cli.ts) ──────────────────────────────────────────────────────────────────
  'cli.usage': `xiaozhi-ota-proxy — 放在原版 xiaozhi-esp32-server 前面、让设备拿到可用 OTA 应答的反向代理

用法：
  xiaozhi-ota-proxy [--config <文件>]   运行代理（默认配置文件：config/proxy.yaml）
  xiaozhi-ota-proxy doctor [选项]       检查设备实际会收到什么（详见：doctor --help）
  xiaozhi-ota-proxy validate [--config <文件>]
                                        离线检查配置和固件目录；无问题以 0 退出，固件目录有问题以 1 退出，
                                        配置不可用以 2 退出（详见：validate --help）
  xiaozhi-ota-proxy healthcheck [--config <文件>]
                                        运行中的代理的 /healthz 有应答时以 0 退出（用于 Docker HEALTHCHECK）
  xiaozhi-ota-proxy firmware|rollout|fleet …
                                        运维命令：添加固件、暂停和恢复灰度、查看和解封设备
                                        （详见：fleet --help）
  xiaozhi-ota-proxy --help | --version
  --lang <en|zh>                        帮助信息和 doctor 报告使用的语言
                                        （默认取 LC_ALL、LC_MESSAGES 或 LANG，否则为英文）

信号：SIGTERM/SIGINT 平滑停止（等待 shutdown_grace_ms）；SIGHUP 重新加载配置和固件目录。
`,
  'cli.bad-language': '--lang "{value}" 不是支持的语言（en、zh）',

  // ── the operator's commands (src/runtime/operator-cli.ts) ───────────────────────────────────────────
  'ops.usage': `xiaozhi-ota-proxy firmware | rollout | fleet — 运维命令

直接操作配置文件所指的文件和设备库：无需运行中的代理（运行中的代理会在 fleet.sync_ms 内看到改动，
固件目录也会自动重新加载）。每次改动都记入审计日志，来源记为 CLI。

用法：
  xiaozhi-ota-proxy firmware add <固件> --board <板型通配符> [--rollout N] [--devices <mac,…>]
                                 [--min-version <版本>] [--force] [--dry-run]
      添加应用固件：从固件中读出版本和芯片，按加载固件目录时的规则检查，复制到 firmware.dir，
      命名为 <板型>-<版本>.bin，并追加到 catalog.yaml（保留注释）；--dry-run 只显示将要添加的内容
  xiaozhi-ota-proxy firmware ls
      固件目录的条目：entry_id、板型、版本、文件、芯片、灰度、检查结果、是否暂停
  xiaozhi-ota-proxy rollout halt <entry_id | 板型 版本> [--reason <原因>]
  xiaozhi-ota-proxy rollout resume <entry_id | 板型 版本>
      暂停推送某个条目，或恢复推送（重新开始统计）
  xiaozhi-ota-proxy fleet ls [--board <板型>] [--version <版本>] [--chip <芯片>] [--q <ID 或地址前缀>]
                             [--seen-within <秒>] [--state <状态>] [--blocked true|false]
                             [--sort last_seen|id|version] [--limit N] [--cursor <next>]
      代理见过的设备
  xiaozhi-ota-proxy fleet show <设备>
      单个设备及其升级记录（最新的在前）
  xiaozhi-ota-proxy fleet unblock <设备> [<entry_id>]
      重新向该设备推送被封禁的条目（不指定条目时解封全部）
  xiaozhi-ota-proxy fleet audit
      所有改动，最新的在前：时间、操作、对象、来源（api、console、cli、fleet）

所有命令的选项：
  -c, --config <文件>   代理的配置文件（默认 config/proxy.yaml）
      --json            输出与管理 API 相同的 JSON，而不是表格
      --lang <en|zh>    本帮助的语言（默认取 LC_ALL、LC_MESSAGES 或 LANG，否则为英文）
  -h, --help

退出码：0 完成；1 被拒绝（找不到、冲突、固件或取值无效：信息会说明原因）；2 参数错误或配置不可用。
设备相关命令需要 fleet.enabled: true，且设备库不是 memory。
`,
  'ops.error': '错误：{message}',

  // ── doctor: the command line (src/doctor/doctor-cli.ts) ─────────────────────────────────────────────
  'doctor.usage': `xiaozhi-ota-proxy doctor — OTA 接口到底给设备下发了什么？设备能正常使用吗？

像固件一样发送一次 OTA 检查请求，分别直接发给上游服务器和经由代理发送；对应答中让设备连接的每个主机
各建立一次 TCP 连接（从不下载任何内容），并为每项检查输出一行“通过/警告/失败”。

用法：xiaozhi-ota-proxy doctor [选项]

  -c, --config <文件>      代理的配置文件（默认 config/proxy.yaml）
      --proxy <url>        要检查的运行中的代理（例如 http://127.0.0.1:8003）；默认在进程内启动一个
      --device-host <主机> 设备访问代理所用的 host[:port]（默认取 public_url 的主机，否则取本机的
                           局域网地址）；{template} 这类模板按这个主机来检查
      --device-id <mac>    发送的 Device-Id（默认 {deviceId}）
      --board <名称>       板型名称（默认 {board}）
      --version <x.y.z>    设备当前运行的固件版本（默认 {version}）
      --chip <型号>        chip_model_name（默认 {chip}）
      --device-ip <ip>     设备的 IP 地址，作为 X-Forwarded-For 发送（供 when.source 匹配）
      --timeout-ms <n>     每次 OTA 请求的超时（默认 upstream.timeout_ms + 5000，最多 30000）
      --json               输出机器可读的报告
      --lang <en|zh>       报告语言（默认取 LC_ALL、LC_MESSAGES 或 LANG，否则为英文）
      --color / --no-color 彩色输出（默认：stdout 是终端且未设置 NO_COLOR 时启用）
  -h, --help

退出码：0 表示没有会妨碍设备的问题，1 表示有，2 表示参数或配置有误。
`,
  'doctor.cli.bad-device-id': '--device-id "{value}" 不是 MAC 地址（aa:bb:cc:dd:ee:ff）',
  'doctor.cli.bad-board': '--board "{value}" 不是有效的板型名称',
  'doctor.cli.bad-version': '--version "{value}" 不是 1.6.0 这样的点分版本号',
  'doctor.cli.bad-chip': '--chip "{value}" 不是 ESP-IDF 支持的芯片型号（esp32、esp32s3、esp32c3 …）',
  'doctor.cli.bad-device-ip': '--device-ip "{value}" 不是 IP 地址',
  'doctor.cli.bad-proxy': '--proxy "{value}" 必须是 http(s)://host:port 格式',
  'doctor.cli.bad-timeout': '--timeout-ms 必须是整数毫秒（100–120000）',
  'doctor.cli.bad-device-host': '--device-host "{value}" 不是 host 或 host:port 格式',
  'doctor.cli.config-unusable': '配置无法使用（{code}）：',

  // ── doctor: the text report (src/doctor/report-text.ts) ─────────────────────────────────────────────
  'doctor.report.title': 'xiaozhi-ota-proxy doctor 诊断报告',
  'doctor.report.device': '  设备     {board}/{version}（{chip}），Device-Id {deviceId}',
  'doctor.report.upstream': '  上游     {url}',
  'doctor.report.proxy': '  代理     {url}，设备访问时的 Host：{host}',
  'doctor.report.proxy-in-process': '  代理     {url}（进程内），设备访问时的 Host：{host}',
  'doctor.report.area.config': '配置',
  'doctor.report.area.upstream': '上游服务器（直接请求）',
  'doctor.report.area.proxy': '经由代理',
  'doctor.report.area.websocket': '语音通道（websocket）',
  'doctor.report.area.mqtt': 'MQTT',
  'doctor.report.area.server_time': '时钟（server_time）',
  'doctor.report.area.firmware': '固件升级',
  'doctor.report.area.catalog': '固件目录',
  'doctor.report.status.pass': '通过',
  'doctor.report.status.warn': '警告',
  'doctor.report.status.fail': '失败',
  'doctor.report.status.info': '信息',
  'doctor.report.status.skip': '跳过',
  'doctor.report.warnings': { other: '{count} 项警告' },
  'doctor.report.summary': '{pass} 项通过，{warnings}，{fail} 项失败',
  'doctor.report.ok': '正常：{summary}。没有发现会妨碍设备的问题。',
  'doctor.report.not-ok': '异常：{summary}。上面的失败项会让设备无法正常工作。',

  // ── doctor: shared phrases ──────────────────────────────────────────────────────────────────────────
  'doctor.list-separator': '，',
  'doctor.not-probed': '未探测',
  'doctor.where.running': '位于 {url} 的代理',
  'doctor.where.in-process': '位于 {url} 的进程内代理',
  'doctor.empty-body': '（空响应体）',
  'doctor.broken-reply': '应答不完整或已损坏：{reason}',
  'doctor.note': '说明：{note}',

  // ── doctor: TCP connects (src/doctor/tcp-probe.ts) ──────────────────────────────────────────────────
  'doctor.probe.open': '有服务在监听（{ms} ms 内连上）',
  'doctor.probe.refused': '连接被拒绝：该端口上没有服务在监听',
  'doctor.probe.timeout': '连接没有响应（可能是防火墙、地址错误，或本机访问不到该网络）',
  'doctor.probe.unreachable': '从本机无法访问（{code}）',

  // ── doctor: hosts handed to devices (src/doctor/host-kind.ts) ───────────────────────────────────────
  'doctor.host.same': '就是设备访问代理所用的主机',
  'doctor.host.loopback': '{host} 是回环地址：设备会连到它自己',
  'doctor.host.unspecified': '{host} 是监听所有网卡用的地址，设备无法连接',
  'doctor.host.placeholder': '"{host}" 是服务器示例配置中的占位符，不是真实的主机',
  'doctor.host.link-local': '{host} 是链路本地地址：只能在同一链路内访问',
  'doctor.host.docker-same-network': '设备所在网络中的内网地址',
  'doctor.host.docker': '{host} 位于 172.16.0.0/12，这是 Docker 分配容器网络的网段：容器外的设备访问不到',
  'doctor.host.private': '局域网内网地址：设备必须在同一网络中',
  'doctor.host.private-elsewhere':
    '{host} 是内网地址，但设备是通过 {deviceHost} 访问代理的：只有同一局域网内的设备能用',
  'doctor.host.shared': '{host} 是共享地址（CGNAT/VPN）：只有接入该虚拟网络的设备能用',
  'doctor.host.public-ip': '公网地址',
  'doctor.host.name': '域名（由设备自行解析）',
  'doctor.host-kind.loopback': '回环地址',
  'doctor.host-kind.unspecified': '监听所有网卡用的地址',
  'doctor.host-kind.docker': '容器内部地址（Docker）',
  'doctor.host-kind.private': '内网地址',
  'doctor.host-kind.link-local': '链路本地地址',
  'doctor.host-kind.shared': '共享地址（CGNAT/VPN）',
  'doctor.host-kind.placeholder': '占位符',
  'doctor.host-kind.public-ip': '公网地址',
  'doctor.host-kind.name': '域名',

  // ── doctor: reply framing (docs/device-contract.md §2; the rules of src/http-wire/device-frame.ts) ──
  'doctor.frame.status': '状态码 {status}：设备会重试，然后沿用已保存的设置',
  'doctor.frame.no-content-length': '缺少 Content-Length（固件 ≤ 1.7.6 和 4G 模组客户端都依赖它）',
  'doctor.frame.content-length-casing': '"{name}" 的写法不是 Content-Length（4G 模组客户端按大小写精确匹配）',
  'doctor.frame.content-length-repeated': '有 {n} 个 Content-Length 头',
  'doctor.frame.content-length-mismatch': 'Content-Length 为 {value}，但响应体有 {length} 字节',
  'doctor.frame.chunked': '分块（chunked）响应体（CRLF 跨两次读取时，设备的分块解析会截断数据）',
  'doctor.frame.transfer-encoding': '带有 Transfer-Encoding（设备会误读分块响应体）',
  'doctor.frame.content-encoding': 'Content-Encoding 为 {codings}（设备无法解压）',
  'doctor.frame.body-over-4KiB': '响应体 {length} 字节（必须小于 {max}）',
  'doctor.frame.response-over-8KiB': '整个响应 {bytes} 字节（v1.9/v2.x 客户端到 {max} 字节会卡死）',
  'doctor.frame.extra-headers': '应答带有多余的响应头：{names}',

  // ── doctor: configuration (src/doctor/check-config.ts) ──────────────────────────────────────────────
  'doctor.config.loaded': '配置文件 {file} 有效',
  'doctor.config.loaded.hash': 'sha256 {hash}…',
  'doctor.config.loaded.upstream': '上游 {url}',
  'doctor.config.listen': '代理监听在 {host}:{port}',
  'doctor.config.listen.loopback': '代理监听在 {host}:{port}：只有本机能访问',
  'doctor.config.listen.loopback.detail':
    '如果前面有本机的 nginx 或隧道则没问题；局域网内的设备需要监听 0.0.0.0（或局域网地址）。',
  'doctor.config.device-host': '以设备访问代理的地址 {origin} 为准检查各 URL（来源：{from}）',
  'doctor.config.device-host.from-lan': '本机的局域网地址（{iface}）',
  'doctor.config.device-host.from-lan-unnamed': '本机的局域网地址（网卡）',
  'doctor.config.device-host.from-none': '未找到局域网地址',
  'doctor.config.device-host.loopback': '设备不可能通过回环地址访问代理。',
  'doctor.config.device-host.loopback.fix':
    '请用 --device-host <设备使用的地址> 指定，例如 --device-host 192.168.1.10。',
  'doctor.config.device-host.docker': '{host} 看起来是 Docker 内部地址：doctor 似乎运行在容器里。',
  'doctor.config.device-host.docker.fix': '请用 --device-host <Docker 宿主机的局域网地址> 指定。',
  'doctor.config.template': '{key}：{url}',
  'doctor.config.template.judged': '{key}：{url} — {why}',
  'doctor.config.template.judged.fix':
    '请用 {hostTemplate} 表示设备访问代理所用的主机，或改成设备能访问到的域名或地址。',
  'doctor.config.template.own-port':
    '{key}：{url} 把设备指向代理自己的端口，但代理不转发 WebSocket（未设置 voice_proxy.upstream）',
  'doctor.config.template.own-port.fix': '请设置 voice_proxy.upstream，或改用语音服务的端口（8000）。',

  // ── doctor: the upstream asked directly (src/doctor/check-upstream.ts) ──────────────────────────────
  'doctor.upstream.port-hint':
    'manager-api（全模块部署）在 8002 端口应答，只部署 xiaozhi-server（Python）时在 8003 端口；8000 是语音 WebSocket 端口，不是 OTA 接口。在 Docker 内部请使用服务名（例如 http://xiaozhi-esp32-server:8003），不要用 127.0.0.1。',
  'doctor.upstream.reachable': '上游服务器在 {where} 有应答（{status}，{ms} ms）',
  'doctor.upstream.activation': '上游服务器要求该设备激活',
  'doctor.upstream.activation.code': '上游服务器要求该设备激活（激活码 {code}）',
  'doctor.upstream.activation.detail':
    'doctor 用的是虚构的设备 ID，出现这一项是正常的。真实设备会显示激活码并反复请求激活，直到在智控台中绑定；',
  'doctor.upstream.activation.detail2': '在此期间设备仍然能拿到 websocket 地址。',
  'doctor.upstream.refused': '{host}:{port} 上没有服务在监听（连接被拒绝）',
  'doctor.upstream.check-url.fix': '请检查 upstream.url。{hint}',
  'doctor.upstream.timeout': '上游服务器在超时时间内没有应答（{where}）',
  'doctor.upstream.timeout.fix':
    '请确认服务器已启动，且没有防火墙丢弃连接；等待时长由 upstream.timeout_ms 决定。',
  'doctor.upstream.unreachable': '无法访问上游主机 {host}（{code}）',
  'doctor.upstream.unreachable.fix':
    '请检查 upstream.url 中的主机名（在 Docker 内部应使用 compose 服务名）。{hint}',
  'doctor.upstream.failed': '与 {where} 的通信失败（{failure}）',
  'doctor.upstream.failed.fix': '这是 xiaozhi-server 的 HTTP 端口吗？{hint}',
  'doctor.upstream.no-ota-route': '上游服务器在 {path} 没有 OTA 接口（{seen}）',
  'doctor.upstream.no-ota-route.answered': '{where} 的应答：{preview}',
  'doctor.upstream.no-ota-route.detail':
    'xiaozhi-server 只在带末尾斜杠时应答 POST /xiaozhi/ota/：不带斜杠时 Python 服务返回 404，manager-api 返回 {javaNotFound}。',
  'doctor.upstream.no-ota-route.fix':
    '请把 ota_path 设为服务器的 OTA 路径（默认 /xiaozhi/ota/），并检查端口。{hint}',
  'doctor.upstream.ota-route': 'OTA 接口 {path} 存在',
  'doctor.upstream.ota-route.detail':
    '设备请求时带不带末尾斜杠都可以：代理两种都接受，并统一以带斜杠的路径转发。',
  'doctor.upstream.answered': '{where} 返回 {status}：{preview}',
  'doctor.upstream.reply.error-status': '上游服务器返回 {status}：设备最多只能拿到回退应答',
  'doctor.upstream.reply.error-status.fix': '请查看服务器日志中这次请求的记录。',
  'doctor.upstream.reply.refused': '上游服务器以 {status} 拒绝了这次检查；设备会收到同样的状态码并重试',
  'doctor.upstream.reply.ota': '上游服务器返回了 OTA 应答（{keys}）',
  'doctor.upstream.reply.error-object': '上游服务器返回的是错误对象，而不是 OTA 应答',
  'doctor.upstream.reply.error-object.fix': '设备会原样收到这个响应体并重试；请在服务器端排查原因。',
  'doctor.upstream.reply.not-object': '上游服务器的应答不是 JSON 对象：看起来不是小智的 OTA 接口',
  'doctor.upstream.reply.voice-port': '8000 端口是语音 WebSocket 服务。',
  'doctor.upstream.hint.python-headers': '缺少 Device-Id 或 Client-Id 请求头时，Python 服务会返回这个。',
  'doctor.upstream.hint.invalid-device-id':
    'manager-api 要求 Device-Id 是 MAC 地址（请传 --device-id aa:bb:cc:dd:ee:ff）。',
  'doctor.upstream.hint.manager-api-says': 'manager-api 返回：{error}',
  'doctor.upstream.hint.manager-api-500':
    'manager-api 处理这次请求时出错（缺少请求头、请求体无法解析，或其数据库/Redis 有问题）。',
  'doctor.upstream.framing.too-large':
    '应答有 {bytes} 字节，超过 upstream.max_body_bytes（{max}）：代理不会使用它',
  'doctor.upstream.framing.too-large.fix': '请调大 upstream.max_body_bytes，或查明服务器为何返回这么多内容。',
  'doctor.upstream.framing.near-limit':
    '{bytes} 字节：接近 8 KiB 时设备会卡死；代理会去掉设备不读取的字段，仍然放不下时改用回退应答',
  'doctor.upstream.framing.ok': '使用 Content-Length 定界，{bytes} 字节',
  'doctor.upstream.framing.trouble': '上游服务器的报文格式会让直连它的设备出问题；代理会重新封装',
  'doctor.upstream.framing.trouble.fix': '请让设备访问代理，不要直连上游服务器。',

  // ── doctor: through the proxy (src/doctor/check-proxy-reply.ts) ─────────────────────────────────────
  'doctor.proxy.unreachable': '{where}没有应答（{failure}）',
  'doctor.proxy.unreachable.fix':
    '代理是否在运行，并且监听在 `listen` 指定的地址上？（doctor 使用的 URL 由 `--proxy` 指定。）',
  'doctor.proxy.reachable': '{where}有应答（{status}，{ms} ms）',
  'doctor.proxy.rules.applied': '已应用的规则：{rules}',
  'doctor.proxy.rules.repair': '保护层修复：{repair}',
  'doctor.proxy.rules.repair.fix':
    '设备保护层已把应答修正为设备能安全处理的内容；修好上游服务器（或配置）后就不再需要这些修复。',
  'doctor.proxy.rules.repaired': { other: '设备保护层修复了应答（{count} 处）' },
  'doctor.proxy.rules.changed': '代理规则修改了应答：{rules}',
  'doctor.proxy.rules.unchanged': '代理没有改动上游服务器的应答',
  'doctor.proxy.reply.fallback-note': '使用了回退应答：{notes}',
  'doctor.proxy.reply.status': '设备收到状态码 {status}：会重试，然后沿用已保存的设置',
  'doctor.proxy.reply.status.fix':
    '请让上游服务器正常应答（见上文），或设置 websocket.url，让回退应答能给出通信地址。',
  'doctor.proxy.reply.no-sections':
    '设备收到的 200 应答中没有任何 OTA 字段：没有时钟、没有通信方式、也没有固件',
  'doctor.proxy.reply.no-sections.fix': '上游服务器返回的是错误内容（见“上游服务器”部分的检查结果）。',
  'doctor.proxy.reply.fallback': '设备收到的是回退应答：上游服务器出错，由代理代为应答',
  'doctor.proxy.reply.ok': '设备收到 OTA 应答（{keys}）',
  'doctor.proxy.framing.facts': '响应体 {body} 字节，共 {wire} 字节，响应头：{headers}',
  'doctor.proxy.framing.broken': '应答的报文格式设备无法读取',
  'doctor.proxy.framing.extra.fix':
    'doctor 与代理之间有组件添加了响应头；给设备的应答只应包含 Content-Type、Content-Length、Date、Connection。',
  'doctor.proxy.framing.ok': '报文格式适合设备：{facts}',

  // ── doctor: the voice channel and MQTT (src/doctor/check-transport.ts) ──────────────────────────────
  'doctor.websocket.no-reply': '代理没有返回 OTA 应答，无法检查语音通道',
  'doctor.websocket.mqtt-instead': '没有 websocket 字段：设备使用 MQTT（见下文）',
  'doctor.websocket.none': '设备既没有收到 websocket 字段，也没有收到 mqtt 字段：会沿用之前保存的通信方式',
  'doctor.websocket.none.fix': '请设置 websocket.url（例如 {example}），让应答给出语音服务地址。',
  'doctor.websocket.fix':
    '请设置 websocket.url: {example}（{hostTemplate} 即设备访问代理所用的主机），或添加一条重写规则（rewrite）。',
  'doctor.websocket.fix-from':
    '请设置 websocket.url: {example}（{hostTemplate} 即设备访问代理所用的主机），或添加一条 from 为 {from} 的重写规则（rewrite）。',
  'doctor.websocket.no-endpoint': '设备收到 {url}，其中没有可用的主机和端口',
  'doctor.websocket.no-endpoint.detail': '服务器示例配置（server.websocket）中的占位符就是这个样子。',
  'doctor.websocket.host': '设备通过 {deviceHost} 访问代理；该 URL 的主机：{why}',
  'doctor.websocket.url': '设备收到 {url}',
  'doctor.websocket.url.fixed': '设备收到 {url}（已由代理修正：上游服务器给出的 {host} 是{kind}）',
  'doctor.websocket.upstream-sends': '上游服务器下发的是 {url}；代理规则会替换它',
  'doctor.websocket.upstream-sends.judged': '上游服务器下发的是 {url}（{why}）；代理规则会替换它',
  'doctor.websocket.own-port':
    '{url} 指向代理自己的端口，但未设置 voice_proxy.upstream：代理不会转发 WebSocket',
  'doctor.websocket.own-port.fix':
    '请设置 voice_proxy.upstream（例如 ws://127.0.0.1:8000），或把 websocket.url 指向语音服务的端口（8000）。',
  'doctor.websocket.no-target': '没有可连接的主机和端口',
  'doctor.websocket.via': '（代理把 {url} 转发到 voice_proxy.upstream {where}）',
  'doctor.websocket.not-probed': '未探测 {where}',
  'doctor.websocket.unusable-host': '从本机连接 {where}：{probe}；但设备反正用不了这个地址（见上文）',
  'doctor.websocket.open': '语音服务端口 {where} 可以连接{via}',
  'doctor.websocket.refused': '{where} 上没有服务在监听{via}：设备无法建立语音通道',
  'doctor.websocket.refused.fix':
    '请启动语音服务，或修正 websocket.url 中的端口（xiaozhi-server 的 WebSocket 默认监听 8000）。',
  'doctor.websocket.unreachable': '从本机无法访问 {where}{via}',
  'doctor.websocket.unreachable.detail':
    '设备所在的网络也许仍能访问它；如果设备连不上，请在设备所在的网络中检查。',
  'doctor.mqtt.stripped': '上游服务器的 mqtt 字段已被移除（mqtt: strip）：设备使用 WebSocket',
  'doctor.mqtt.absent': '没有 mqtt 字段：设备使用 WebSocket',
  'doctor.mqtt.wins': '设备收到了 mqtt 字段（{endpoint}），因此会使用 MQTT，而不是 WebSocket',
  'doctor.mqtt.wins.detail': '只要应答中有 `mqtt` 对象，设备就会使用 MQTT（docs/device-contract.md §3）。',
  'doctor.mqtt.wins.held-back':
    'mqtt: strip 没有生效：应答中没有可替代的 websocket 字段（Python 服务开启 MQTT 网关时，会用 mqtt *代替* websocket 下发）。',
  'doctor.mqtt.wins.held-back.fix':
    '请设置 websocket.url（例如 {example}）：配合 mqtt: strip，代理会生成 websocket 字段。',
  'doctor.mqtt.wins.fix': '请设置 mqtt: strip（只有存在 websocket 字段时才会移除 mqtt）。',
  'doctor.mqtt.kept': '设备通过 {endpoint} 使用 MQTT（mqtt: keep）',
  'doctor.mqtt.kept.detail':
    '若要改用 WebSocket：设置 mqtt: strip；如果上游服务器不下发 websocket 字段，还需设置 websocket.url。',
  'doctor.mqtt.bad-endpoint':
    'mqtt.endpoint "{endpoint}" 不是 host 或 host:port 格式：设备保护层会丢弃该字段，以免设备因此中止运行',
  'doctor.mqtt.endpoint': 'MQTT 地址 {where}：{why}；{probe}',

  // ── doctor: the clock (src/doctor/check-server-time.ts) ─────────────────────────────────────────────
  'doctor.server_time.no-reply': '代理没有返回 OTA 应答，无法检查时钟',
  'doctor.server_time.absent': '设备没有收到 server_time：会沿用自身现有的时钟',
  'doctor.server_time.absent.fix':
    '请设置 server_time.timezone（例如你所在的 IANA 时区）或 offset_minutes：代理会生成该字段。',
  'doctor.server_time.seconds-repaired': '上游服务器下发的是 {timestamp}（秒）；设备保护层会改为毫秒下发',
  'doctor.server_time.no-timestamp': '设备没有收到可用的 timestamp：会沿用自身现有的时钟',
  'doctor.server_time.seconds': 'timestamp {timestamp} 的单位是秒：设备会把时钟设到 1970 年',
  'doctor.server_time.seconds.fix': 'timestamp 必须以毫秒为单位。',
  'doctor.server_time.behind': '设备收到的时钟比本机慢 {amount}',
  'doctor.server_time.ahead': '设备收到的时钟比本机快 {amount}',
  'doctor.server_time.skew.fix':
    '请检查服务器时钟（NTP），或让代理下发自己的时间：server_time.timezone: <时区>。',
  'doctor.server_time.days': '{n} 天',
  'doctor.server_time.hours': '{n} 小时',
  'doctor.server_time.minutes': '{n} 分钟',
  'doctor.server_time.in-step': 'timestamp 以毫秒为单位，与本机相差在 {seconds} 秒以内',
  'doctor.server_time.float-offset':
    '上游服务器以 JSON 数字 {text} 下发；设备只读取其整数部分，代理会写成整数分钟',
  'doctor.server_time.no-offset': '设备没有收到 timezone_offset：会显示 UTC 时间',
  'doctor.server_time.no-offset.fix': '请设置 server_time.timezone: <你的 IANA 时区>（或 offset_minutes）。',
  'doctor.server_time.fraction': 'timezone_offset {offset} 不是整数分钟',
  'doctor.server_time.not-minutes': 'timezone_offset {offset} 的单位不是分钟（{units}）',
  'doctor.server_time.not-minutes.seconds': '是秒吗？{offset} 秒 = {minutes} 分钟',
  'doctor.server_time.not-minutes.out-of-range': '超出范围',
  'doctor.server_time.not-minutes.fix':
    '应为相对 UTC 向东的分钟数；设置 server_time.timezone: <你的 IANA 时区> 即可下发正确的值。',
  'doctor.server_time.no-zone': 'timezone_offset {offset} 不是任何时区的分钟偏移',
  'doctor.server_time.no-zone.hours':
    'timezone_offset {offset} 不是任何时区的分钟偏移（是小时吗？{offset} 小时 = {minutes} 分钟）',
  'doctor.server_time.no-zone.fix': '请设置 server_time.timezone: <你的 IANA 时区>，以下发正确的值。',
  'doctor.server_time.zone': '设备得到 {zone}（server_time.timezone: {name}）',
  'doctor.server_time.fixed': '设备得到 {zone}（server_time.offset_minutes: {minutes}）',
  'doctor.server_time.upstream-differs': '设备从上游服务器得到 {zone}，但本机时区是 {local}（{localZone}）',
  'doctor.server_time.upstream-differs.detail':
    'Java 服务的时区取自 JVM（常常固定为 Asia/Shanghai，+08:00）；Python 服务的时区取自 server.timezone_offset。',
  'doctor.server_time.upstream-differs.fix': '如果设备应显示本地时间：server_time.timezone: {zone}',
  'doctor.server_time.local': '设备得到 {zone}，与本机时区一致',

  // ── doctor: the firmware offer (src/doctor/check-firmware.ts) ───────────────────────────────────────
  'doctor.firmware.no-reply': '代理没有返回 OTA 应答，无法检查固件升级',
  'doctor.firmware.upstream-offered': '上游服务器提供的是 {url}',
  'doctor.firmware.absent': '没有 firmware 字段：不提供升级',
  'doctor.firmware.placeholder': '无需下载：上游服务器的占位 URL（版本 {version}）',
  'doctor.firmware.placeholder.detail':
    '…{mark} 是有意为之：manager-api 用它表示“无需下载”，用于未绑定的设备，以及已绑定但没有更新版本的设备。代理从不改写它，设备保护层会保证其版本不高于设备当前版本，设备因此不会去下载。',
  'doctor.firmware.empty-url': '无需下载（url 为 ""，版本 {version}）',
  'doctor.firmware.not-newer': '提供 {version}，不高于当前的 {running}：设备保持当前版本',
  'doctor.firmware.download': '运行 {running} 的设备会从 {url} 下载 {version}',
  'doctor.firmware.download-forced': '运行 {running} 的设备会从 {url} 下载 {version}（force: 1）',
  'doctor.firmware.decision.offer': '固件目录：提供 {board} {version}（{file}）',
  'doctor.firmware.decision.offer-pinned': '固件目录：提供 {board} {version}（{file}），已锁定（force）',
  'doctor.firmware.decision.none': '固件目录：不提供升级 — {reason}：{detail}',
  'doctor.firmware.connect-only': 'doctor 只对它建立一次 TCP 连接：Java 上游服务器的下载链接只允许下载三次。',
  'doctor.firmware.not-http': '{url} 不是设备能下载的 http(s) URL',
  'doctor.firmware.not-http.fix': '请修正固件目录或服务器上的 URL。',
  'doctor.firmware.tls': '设备会用公共 CA 证书校验 https 证书：自签名证书会校验失败。',
  'doctor.firmware.not-in-catalog': '{url} 指向代理，但代理的固件目录中没有这个文件',
  'doctor.firmware.served': '由代理从 firmware.dir 提供（{file}）',
  'doctor.firmware.served.detail': '设备从代理自己的端口下载，运行中的代理必须在该端口监听。',
  'doctor.firmware.not-probed': '{url}：{why}；未探测',
  'doctor.firmware.download.fix':
    '设备必须能下载固件镜像：请修正主机（为上游服务器的 URL 加一条重写规则，或修改固件目录条目的 url）。',
  'doctor.firmware.refused': '{where} 上没有服务在监听：设备下载 {url} 会失败',
  'doctor.firmware.refused.detail': '固件 1.6.6–1.7.6 下载失败后会重启，并在下次启动时重新请求。',
  'doctor.firmware.host-fails': '设备无法下载 {url}',
  'doctor.firmware.unreachable': '从本机无法访问 {where}',
  'doctor.firmware.some-devices': '{where} 可以连接，但并非所有设备都能访问',
  'doctor.firmware.open': '下载主机 {where} 可以连接',

  // ── doctor: the firmware catalog (src/doctor/check-catalog.ts) ──────────────────────────────────────
  'doctor.catalog.no-dir': '未设置 firmware.dir：代理不提供自己的固件',
  'doctor.catalog.unusable': '{dir} 中的固件目录无法使用：代理带着它无法启动',
  'doctor.catalog.unusable.fix': '请修正 catalog.yaml（空文件即空目录）。',
  'doctor.catalog.loaded': { other: '{dir} 中有 {count} 个目录条目可用' },
  'doctor.catalog.loaded-skipped': { other: '{dir} 中有 {count} 个目录条目可用，跳过 {skipped} 个' },
  'doctor.catalog.issue.fix': '该条目已被跳过（其他条目不受影响）；修好之前不会向设备提供它。',
  'doctor.catalog.entry': '{board} {version}（{file}）',
  'doctor.catalog.entry.chip-id': '芯片 ID {id}',
  'doctor.catalog.entry.image':
    '适用于 {chip} 的应用镜像，内嵌版本 {version}（一致），项目 {project}，IDF {idf}',
  'doctor.catalog.entry.size': '{size} 字节，sha256 {sha256}…',
  'doctor.catalog.entry.rollout': '灰度 {percent} %',
  'doctor.catalog.entry.pinned': '已锁定（force）',
  'doctor.catalog.entry.min-version': 'min_version {version}',
  'doctor.catalog.entry.devices': '指定了 {n} 台设备',
  'doctor.catalog.entry.excluded': '排除 {n} 台',
  'doctor.catalog.entry.served': '{entry}：由代理在 /firmware/{file} 提供',
  'doctor.catalog.entry.not-http': '{entry}：其 url {url} 不是设备能下载的 http(s) URL',
  'doctor.catalog.entry.own': '{entry}：下载地址 {url}（即本代理）',
  'doctor.catalog.entry.url': 'url {url}：{why}；{probe}',
  'doctor.catalog.entry.external': '{entry}：下载地址 {url}',

  // ── the web console (src/admin/console/): messages/console-zh-CN.ts ─────────────────────────────────
  ...consoleZhCN,
} as const satisfies Catalog;
