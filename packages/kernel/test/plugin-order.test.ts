import { ConfigError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { orderPlugins } from '../src/plugins/order.js';

const p = (name: string, dependencies: string[] = [], priority = 0) => ({ name, dependencies, priority });
const names = (list: { name: string }[]) => list.map((x) => x.name);

describe('orderPlugins', () => {
  it('puts dependencies first, then higher priority, then names', () => {
    expect(
      names(
        orderPlugins([
          p('zeta'),
          p('alpha'),
          p('top', [], 9),
          p('needs-zeta', ['zeta'], 100),
          p('mid', [], 5),
        ]),
      ),
    ).toEqual(['top', 'mid', 'alpha', 'zeta', 'needs-zeta']);
  });

  it('lets a plugin freed by the one just placed outrank the others waiting', () => {
    expect(names(orderPlugins([p('base'), p('b'), p('c'), p('urgent', ['base'], 10)]))).toEqual([
      'b',
      'base',
      'urgent',
      'c',
    ]);
  });

  it('names a missing dependency and the fix', () => {
    const error = (() => {
      try {
        orderPlugins([p('a', ['ghost'])]);
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toBe('plugin a depends on ghost, which is not loaded');
    expect(error?.hint).toContain('[plugins.load.ghost]');
  });

  it('names a cycle, also one reached through a plugin outside it', () => {
    expect(() => orderPlugins([p('a', ['b']), p('b', ['c']), p('c', ['a'])])).toThrow(
      'plugin dependencies form a cycle: a -> b -> c -> a',
    );
    expect(() => orderPlugins([p('entry', ['x']), p('x', ['y']), p('y', ['x'])])).toThrow(
      'plugin dependencies form a cycle: x -> y -> x',
    );
  });
});
