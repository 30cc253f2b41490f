/**
 * Front matter without the YAML parser: plain `key: text` lines (the bundled skills', most
 * others') read exactly as YAML reads them; anything else waits for loadYaml() and is then
 * parsed by it.
 */

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BUNDLED_SKILLS } from '../src/skills/bundled/index.js';
import { loadYaml, splitFrontMatter, YamlNotLoaded, yamlLoaded } from '../src/skills/front-matter.js';

const doc = (front: string) => `---\n${front}\n---\nbody\n`;

const PLAIN = [
  'name: code-review\ndescription: Reviews a change for bugs, risks and missing tests. Use when asked to review.',
  '# a comment\nname: x\n\ndescription: Fixes things (carefully), step by step; fast.\nallowed-tools: Read, Grep, Bash(git:*)',
  'name: a\ndescription: It is 100% done - really',
];

const NOT_PLAIN = [
  'name: x\ndescription: "quoted: text"',
  'name: x\nallowed-tools:\n  - Read\n  - Grep',
  'name: x\nversion: 1.0',
  'name: x\ndisable-model-invocation: true',
  'name: x\ndescription: Use when: reviewing',
  'name: x\nmetadata: {a: 1}',
  'name: x\ndescription: text # a comment',
  'name: x\ndescription: >\n  folded text',
  'name: &a x\nother: *a',
];

describe('front matter without the YAML parser', () => {
  it('the bundled skills are plain lines: read without the parser, as it would read them', () => {
    expect(yamlLoaded()).toBe(false);
    for (const skill of BUNDLED_SKILLS) {
      const front = skill.text.split('\n---')[0]!.replace(/^---\n/, '');
      expect(splitFrontMatter(skill.text).data).toEqual(parse(front));
    }
    expect(yamlLoaded()).toBe(false);
  });

  it('reads plain lines exactly as YAML does', () => {
    for (const front of PLAIN) expect(splitFrontMatter(doc(front)).data).toEqual(parse(front));
  });

  it('leaves everything else to the parser, then agrees with it', async () => {
    for (const front of NOT_PLAIN) expect(() => splitFrontMatter(doc(front))).toThrow(YamlNotLoaded);
    await loadYaml();
    for (const front of NOT_PLAIN.filter((f) => !f.includes('Use when:'))) {
      expect(splitFrontMatter(doc(front)).data).toEqual(parse(front));
    }
    // Strict YAML refuses an unquoted colon; the lenient reading keeps the line as text.
    expect(splitFrontMatter(doc(NOT_PLAIN[4]!)).data).toEqual({
      name: 'x',
      description: 'Use when: reviewing',
    });
  });
});
