/** The command line's help in the locale's language: LANG=zh_CN.UTF-8 gives Chinese, LC_ALL over LANG, --lang over both; English otherwise. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli as runCliProcess, type CliRun } from '../helpers/cli-process.js';

/** Runs `src/cli.ts` with exactly these locale variables (the others removed). */
function runCli(
  args: string[],
  locale: { LANG?: string; LC_ALL?: string; LC_MESSAGES?: string },
): Promise<CliRun> {
  const none = { LANG: undefined, LC_ALL: undefined, LC_MESSAGES: undefined, LANGUAGE: undefined };
  return runCliProcess(args, { env: { ...none, ...locale } });
}

describe('help in the locale’s language', () => {
  test('LANG=zh_CN.UTF-8: --help is in Chinese', async () => {
    const { code, stdout } = await runCli(['--help'], { LANG: 'zh_CN.UTF-8' });
    assert.equal(code, 0);
    assert.match(stdout, /^用法：$/m);
    assert.match(
      stdout,
      /^ {2}xiaozhi-ota-proxy \[--config <文件>\] {3}运行代理（默认配置文件：config\/proxy\.yaml）$/m,
    );
    assert.equal(stdout.includes('Usage'), false);
  });

  test('LANG=zh_CN.UTF-8: doctor --help is in Chinese', async () => {
    const { code, stdout } = await runCli(['doctor', '--help'], { LANG: 'zh_CN.UTF-8' });
    assert.equal(code, 0);
    assert.match(stdout, /^用法：xiaozhi-ota-proxy doctor \[选项\]$/m);
    assert.match(stdout, /^退出码：0 表示没有会妨碍设备的问题，1 表示有，2 表示参数或配置有误。$/m);
  });

  test('LC_ALL=C over LANG=zh_CN.UTF-8, and no locale at all: English', async () => {
    const c = await runCli(['--help'], { LC_ALL: 'C', LANG: 'zh_CN.UTF-8' });
    assert.equal(c.code, 0);
    assert.match(c.stdout, /^Usage:$/m);
    const none = await runCli(['--help'], {});
    assert.equal(none.stdout, c.stdout);
  });

  test('--lang zh over an English locale; --lang fr is a usage error', async () => {
    const zh = await runCli(['--lang', 'zh', '--help'], { LANG: 'en_US.UTF-8' });
    assert.equal(zh.code, 0);
    assert.match(zh.stdout, /^用法：$/m);
    const bad = await runCli(['--lang', 'fr', '--help'], { LANG: 'en_US.UTF-8' });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, '--lang "fr" is not a supported language (en, zh)\n');
  });
});
