import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oneLineError, sepconv } from './run.js';

test('sepconv --help lists the commands; no command is a usage error', () => {
  const r = sepconv('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^Usage: sepconv <command> \[options\]$/m);
  assert.match(r.stdout, /^ {2}cost {2,}\S/m);
  assert.match(r.stdout, /^ {2}compare {2,}\S/m);
  assert.equal(sepconv('help').stdout, r.stdout);
  const none = sepconv();
  assert.equal(none.status, 2);
  assert.match(none.stderr, /Usage: sepconv <command>/);
});

test('sepconv --version prints the package version', () => {
  const r = sepconv('--version');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^sepconv \d+\.\d+\.\d+\n$/);
});

test('unknown commands and options are usage errors with a one-line message', () => {
  const typo = sepconv('cots');
  assert.equal(typo.status, 2);
  assert.match(oneLineError(typo), /unknown command 'cots'; did you mean 'cost'\?.*Commands: .*\bcost\b.*\bcompare\b/);
  const opt = sepconv('compare', '--k', '3', '--cin', '8', '--cout', '8', '--size', '8', '--bogus');
  assert.equal(opt.status, 2);
  assert.match(oneLineError(opt), /^sepconv compare: Unknown option '--bogus' \(see 'sepconv compare --help'\)$/);
  const extra = sepconv('compare', 'stray');
  assert.equal(extra.status, 2);
  assert.match(oneLineError(extra), /unexpected argument 'stray'/);
});

test('every command has --help, and `help <command>` prints the same', () => {
  for (const name of ['cost', 'compare']) {
    const r = sepconv(name, '--help');
    assert.equal(r.status, 0, name);
    assert.match(r.stdout, new RegExp(`^Usage: sepconv ${name} `), name);
    assert.match(r.stdout, /^ {2}-h, --help +show this help$/m, name);
    assert.match(r.stdout, /^Examples:$/m, name);
    assert.equal(sepconv('help', name).stdout, r.stdout);
  }
});
