// Every browser test runs, or the run fails: `test` and `describe` for run.mjs and
// unit.test.mjs, in place of node:test's.
//
// - A test that calls `t.skip()` or `t.todo()`, or is declared with `skip`/`todo`/`only`, fails.
//   The one way to skip is `skipAsked(t, flag, reason)`, where `flag` is the command-line flag of
//   run.mjs that asked for it (e.g. '--skip-perf'); without a flag it fails too.
// - At the end, every test that was declared must have passed, failed or been skipped as asked:
//   one that never ran (a filter given to node, a hook that stopped it) fails the run.
// - The skips that were asked for are printed at the end.
import { after as nodeAfter, describe as nodeDescribe, test as nodeTest } from 'node:test';

const counts = { declared: 0, passed: 0, failed: 0, askedSkips: 0 };
const asked = [];
const REAL_SKIP = Symbol('real skip');

function split(name, options, fn) {
  if (typeof options === 'function') return { name, options: {}, fn: options };
  return { name, options: options ?? {}, fn };
}

function refuseOptions(kind, name, options) {
  for (const k of ['skip', 'todo', 'only']) {
    if (options[k]) throw new Error(`${kind} "${name}" is declared with \`${k}\`: every test runs unless a command-line flag asks otherwise (use skipAsked)`);
  }
}

/** node:test's `test`, where a skip that no command-line flag asked for fails. */
export function test(nameArg, optionsArg, fnArg) {
  const { name, options, fn } = split(nameArg, optionsArg, fnArg);
  refuseOptions('test', name, options);
  counts.declared += 1;
  return nodeTest(name, options, async (t, ...rest) => {
    const refuse = (what) => (message) => {
      throw new Error(`test called t.${what}(${JSON.stringify(message ?? '')}) without a command-line flag asking for it: a skipped test fails`);
    };
    t[REAL_SKIP] = t.skip.bind(t);
    t.skip = refuse('skip');
    t.todo = refuse('todo');
    try {
      await fn(t, ...rest);
    } catch (e) {
      counts.failed += 1;
      throw e;
    }
    if (t[REAL_SKIP].asked) counts.askedSkips += 1;
    else counts.passed += 1;
  });
}

/** node:test's `describe`, refusing `skip`/`todo`/`only`. */
export function describe(nameArg, optionsArg, fnArg) {
  const { name, options, fn } = split(nameArg, optionsArg, fnArg);
  refuseOptions('describe', name, options);
  return nodeDescribe(name, options, fn);
}

/**
 * Skips test `t` because of `flag`, the command-line flag that asked for it (e.g. '--skip-perf').
 * Without a flag this is a failure: the caller must `return skipAsked(...)`.
 */
export function skipAsked(t, flag, reason) {
  if (!flag) throw new Error(`skipped without a command-line flag asking for it (${reason}): a skipped test fails`);
  const real = t[REAL_SKIP];
  if (!real) throw new Error('skipAsked needs a test declared with guard.mjs\'s test()');
  real.asked = true;
  asked.push(`${t.name}: ${reason} (asked for by ${flag})`);
  real(`${reason} (asked for by ${flag})`);
}

// Printed last, after the reporter's summary.
process.on('exit', () => {
  if (asked.length === 0) {
    console.log('# no test was skipped');
  } else {
    console.log(`# ${asked.length} test(s) skipped, as asked on the command line:`);
    for (const s of asked) console.log(`#   ${s}`);
  }
});

nodeAfter(() => {
  const ended = counts.passed + counts.failed + counts.askedSkips;
  if (ended !== counts.declared) {
    throw new Error(`${counts.declared} tests were declared but only ${ended} ran to an end (${counts.passed} passed, ${counts.failed} failed, ${counts.askedSkips} skipped as asked): the others never ran`);
  }
});
