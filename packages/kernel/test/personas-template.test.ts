/**
 * The persona template: the documented layout exactly, empty sections left out, ElizaOS
 * placeholders made deterministic, every list capped (the first items, never a random sample),
 * and a hard cap on the whole text.
 */
import { describe, expect, it } from 'vitest';
import { PERSONA_CAPS, parseCharacter, renderPersona } from '../src/personas/index.js';

const render = (raw: Record<string, unknown>) => renderPersona(parseCharacter(raw, 'test.json').character);

describe('renderPersona', () => {
  it('renders every section in the documented order and words', () => {
    const text = render({
      name: 'Captain Sally',
      username: 'sally',
      system: 'Answer as {{agentName}} would.',
      bio: ['A retired pirate.', 'Reviews   code\n now.'],
      lore: ['Sailed for twenty years.'],
      adjectives: ['salty', 'kind'],
      topics: ['sailing', 'code review'],
      knowledge: ['Logs are kept every watch.'],
      style: { all: ['Speaks like a pirate'], chat: ['Short replies'], post: ['Never used'] },
      messageExamples: [
        [
          { user: '{{user1}}', content: { text: 'Is it fine?' } },
          { name: '{{agentName}}', text: 'Arr, no.' },
          { name: '{{user2}}', text: 'Why?' },
        ],
      ],
      postExamples: ['Never used either'],
    });
    expect(text).toBe(
      [
        "Persona: you speak and act as Captain Sally (@sally). Keep Captain Sally's voice, manner and knowledge in everything you write; the rules below still apply.",
        'Answer as Captain Sally would.',
        'About Captain Sally:\n- A retired pirate.\n- Reviews code now.',
        'Background:\n- Sailed for twenty years.',
        'Captain Sally is salty, kind.',
        'Topics Captain Sally knows well: sailing, code review.',
        'What Captain Sally knows:\n- Logs are kept every watch.',
        'Style:\n- Speaks like a pirate\n- Short replies',
        'Example conversations (how Captain Sally talks; not part of this conversation):\nUser: Is it fine?\nCaptain Sally: Arr, no.\nUser 2: Why?',
      ].join('\n\n'),
    );
  });

  it('does not double a full stop after a name ending in one', () => {
    expect(render({ name: 'Ada L.', topics: ['Node.js'] }).split('\n\n')).toEqual([
      "Persona: you speak and act as Ada L. Keep Ada L.'s voice, manner and knowledge in everything you write; the rules below still apply.",
      'Topics Ada L. knows well: Node.js.',
    ]);
  });

  it('a character with only a name is one line', () => {
    expect(render({ name: 'Ada' })).toBe(
      "Persona: you speak and act as Ada. Keep Ada's voice, manner and knowledge in everything you write; the rules below still apply.",
    );
  });

  it('takes the first items of each list up to its cap, the same every time', () => {
    const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    const raw = {
      name: 'N',
      bio: many('bio', 30),
      lore: many('lore', 30),
      topics: many('topic', 50),
      adjectives: many('adj', 30),
      knowledge: many('fact', 50),
      style: { all: many('all', 30), chat: many('chat', 30) },
      messageExamples: Array.from({ length: 10 }, (_, c) =>
        Array.from({ length: 20 }, (_, m) => ({ name: 'u', text: `c${c}m${m}` })),
      ),
    };
    const text = render(raw);
    expect(render(raw)).toBe(text);
    const count = (pattern: RegExp) => text.match(pattern)?.length ?? 0;
    expect(count(/^- bio\d+$/gm)).toBe(PERSONA_CAPS.bio);
    expect(text).toContain('- bio9\n');
    expect(text).not.toContain('bio10');
    expect(count(/^- lore\d+$/gm)).toBe(PERSONA_CAPS.lore);
    expect(count(/topic\d+/g)).toBe(PERSONA_CAPS.topics);
    expect(count(/adj\d+/g)).toBe(PERSONA_CAPS.adjectives);
    expect(count(/^- fact\d+$/gm)).toBe(PERSONA_CAPS.knowledge);
    expect(count(/^- all\d+$/gm)).toBe(PERSONA_CAPS.style);
    expect(count(/^- chat\d+$/gm)).toBe(PERSONA_CAPS.style);
    expect(count(/^u: c\d+m\d+$/gm)).toBe(PERSONA_CAPS.conversations * PERSONA_CAPS.messages);
    expect(text).toContain('u: c0m0');
    expect(text).not.toContain('c3m0');
    expect(text).not.toContain('c0m8');
  });

  it('cuts a long item, a long system text, and the whole text at their caps', () => {
    const long = render({ name: 'N', bio: [`${'word '.repeat(200)}END`] });
    const bio = long.split('\n').find((line) => line.startsWith('- '))!;
    expect(bio.length).toBe(2 + PERSONA_CAPS.itemChars);
    expect(bio.endsWith('…')).toBe(true);
    expect(long).not.toContain('END');

    const system = render({ name: 'N', system: 'S'.repeat(PERSONA_CAPS.systemChars * 2) });
    expect(system.match(/S+/g)!.at(-1)!.length).toBe(PERSONA_CAPS.systemChars);

    const huge = render({
      name: 'N',
      system: 'x\n'.repeat(PERSONA_CAPS.systemChars / 2),
      bio: Array.from({ length: 10 }, () => 'b'.repeat(1000)),
      lore: Array.from({ length: 10 }, () => 'l'.repeat(1000)),
      knowledge: Array.from({ length: 20 }, () => 'k'.repeat(1000)),
      style: { all: Array.from({ length: 10 }, () => 's'.repeat(1000)) },
    });
    expect(huge.length).toBeLessThanOrEqual(PERSONA_CAPS.totalChars + 60);
    expect(huge.endsWith(`(persona cut at ${PERSONA_CAPS.totalChars} characters)`)).toBe(true);
  });
});
