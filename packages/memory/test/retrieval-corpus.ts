/**
 * A small corpus of notes such as an agent saves (preferences, project facts, how-tos,
 * incidents), on unrelated topics, with two kinds of queries for each of a subset:
 *   - paraphrase: the question a user would ask, in other words than the note's (sharing at
 *     most a stem or two, never a whole phrase);
 *   - keyword: an exact identifier, name or rare term that occurs in the note;
 *   - typo: the note's rare words misspelled, as typed in a hurry (no exact token to match).
 * Written once by hand, before tuning anything, and not edited to make a query pass.
 */

export interface CorpusNote {
  id: string;
  content: string;
  tags: string[];
}

export interface CorpusQuery {
  query: string;
  kind: 'paraphrase' | 'keyword' | 'typo';
  /** The note that answers it. */
  expected: string;
}

export const NOTES: CorpusNote[] = [
  {
    id: 'note-deploy',
    content:
      'Production deploys run from scripts/deploy.sh. It needs AWS_PROFILE=prod and must be started from the main branch after CI is green.',
    tags: ['ops', 'deploy'],
  },
  {
    id: 'note-coffee',
    content:
      'Maria takes her coffee black with no sugar; she dislikes oat milk and prefers espresso after lunch.',
    tags: ['people'],
  },
  {
    id: 'note-db-port',
    content:
      'The staging PostgreSQL database listens on port 5433, not the default 5432, because another cluster uses 5432.',
    tags: ['ops', 'database'],
  },
  {
    id: 'note-ticket',
    content:
      'Ticket OXY-4711 tracks the flaky websocket reconnect test; it fails about once in twenty runs on macOS.',
    tags: ['bugs'],
  },
  {
    id: 'note-birthday',
    content: "Tom's birthday is on the 14th of March. He collects vinyl records, mostly 1970s jazz.",
    tags: ['people'],
  },
  {
    id: 'note-lint',
    content:
      'The project formats and lints with Biome; run node scripts/biome.mjs check --write before committing.',
    tags: ['tooling'],
  },
  {
    id: 'note-allergy',
    content:
      'The user is allergic to peanuts and shellfish, so restaurant suggestions must avoid Thai and seafood places.',
    tags: ['health', 'people'],
  },
  {
    id: 'note-backup',
    content:
      'Nightly backups of the photo library are written to the NAS at 02:00 and kept for thirty days with rsync.',
    tags: ['ops'],
  },
  {
    id: 'note-timezone',
    content:
      'Meetings with the Tokyo office must be scheduled before 10:00 Berlin time because of the eight hour difference.',
    tags: ['work'],
  },
  {
    id: 'note-api-key',
    content:
      'The OpenAI key for experiments is read from OPENAI_API_KEY in the shell profile; never paste it into config files.',
    tags: ['security'],
  },
  {
    id: 'note-garden',
    content:
      'Tomatoes on the balcony need watering every evening in July; the basil should be pruned before it flowers.',
    tags: ['home'],
  },
  {
    id: 'note-car',
    content:
      'The car is due for its annual inspection in October; the garage on Elm Street replaced the brake pads last year.',
    tags: ['home'],
  },
  {
    id: 'note-rust',
    content:
      'Compile errors about lifetimes in the parser crate usually mean a borrowed token outlives the input buffer.',
    tags: ['code'],
  },
  {
    id: 'note-flight',
    content: 'Flight LH 2032 to Munich departs at 07:15 on Friday; seat 14C, aisle, checked bag included.',
    tags: ['travel'],
  },
  {
    id: 'note-recipe',
    content:
      'Grandmother bakes the apple pie at 180 degrees for forty five minutes, with cinnamon and a lattice crust.',
    tags: ['food'],
  },
  {
    id: 'note-vpn',
    content:
      'The office VPN uses WireGuard; the config lives in /etc/wireguard/wg0.conf and the tunnel is brought up with wg-quick.',
    tags: ['ops', 'network'],
  },
  {
    id: 'note-invoice',
    content:
      'Freelance invoices are numbered INV-2024-031 onwards and must be sent within five working days of month end.',
    tags: ['finance'],
  },
  {
    id: 'note-running',
    content:
      'Training plan: run ten kilometres on Tuesdays and Thursdays, long run of eighteen kilometres on Sunday mornings.',
    tags: ['health'],
  },
  {
    id: 'note-cache',
    content:
      'The image service caches thumbnails in Redis for six hours; clearing the cache requires the FLUSHDB command on db 3.',
    tags: ['ops', 'code'],
  },
  {
    id: 'note-language',
    content:
      'The user is learning Portuguese and wants replies to include one new vocabulary word with its translation.',
    tags: ['preferences'],
  },
  {
    id: 'note-review',
    content:
      'Code reviews need two approvals for anything touching the billing module; one is enough elsewhere.',
    tags: ['work', 'code'],
  },
  {
    id: 'note-printer',
    content: 'The printer on the second floor jams with thick paper; use the tray labelled B for envelopes.',
    tags: ['office'],
  },
  {
    id: 'note-cat',
    content:
      'The cat, Miso, gets half a pouch of wet food twice a day and must not be fed tuna because of her kidneys.',
    tags: ['home', 'pets'],
  },
  {
    id: 'note-memory-leak',
    content:
      'The memory leak in the gateway came from event listeners added on every reconnect and never removed.',
    tags: ['bugs', 'code'],
  },
  {
    id: 'note-rent',
    content: 'Rent of 1,250 euros is transferred on the first of each month to the landlord, Mr. Okafor.',
    tags: ['finance', 'home'],
  },
  {
    id: 'note-font',
    content: 'The user prefers dark themes and the JetBrains Mono font at size 14 in every editor.',
    tags: ['preferences'],
  },
  {
    id: 'note-kubernetes',
    content:
      'Pods in the analytics namespace are evicted when the node runs out of disk; raise ephemeral storage limits to 4Gi.',
    tags: ['ops'],
  },
  {
    id: 'note-book',
    content:
      'Reading list: finish "The Left Hand of Darkness" by Ursula K. Le Guin before the book club on the 3rd.',
    tags: ['reading'],
  },
  {
    id: 'note-dentist',
    content:
      'Dentist appointment with Dr. Schulz every six months; the next check-up is booked for 9 May at 16:30.',
    tags: ['health'],
  },
  {
    id: 'note-wifi',
    content:
      'Guest wifi network name is Lighthouse-Guest and the password changes on the first Monday of each quarter.',
    tags: ['home', 'network'],
  },
  {
    id: 'note-typescript',
    content:
      'The monorepo uses TypeScript project references; build everything with tsc -b and never commit the dist folders.',
    tags: ['code', 'tooling'],
  },
  {
    id: 'note-plants',
    content:
      'The ficus in the living room drops leaves when moved; keep it away from the radiator and water it weekly.',
    tags: ['home'],
  },
  {
    id: 'note-sql-timeout',
    content:
      'Reports time out when the orders query scans the whole table; an index on customer_id and created_at fixed it.',
    tags: ['database', 'bugs'],
  },
  {
    id: 'note-holiday',
    content:
      'Summer holiday in Crete from 2 to 16 August; the neighbours will water the plants and collect the mail.',
    tags: ['travel', 'home'],
  },
  {
    id: 'note-standup',
    content: 'Daily standup is at 09:30 on the video call; updates are limited to two minutes per person.',
    tags: ['work'],
  },
  {
    id: 'note-guitar',
    content:
      'Guitar practice: thirty minutes of scales, then the fingerpicking pattern from the song Blackbird.',
    tags: ['hobby'],
  },
];

export const QUERIES: CorpusQuery[] = [
  // Paraphrases: the question, not the note's words.
  { query: 'how do we ship a release to the live environment', kind: 'paraphrase', expected: 'note-deploy' },
  { query: 'what does Maria like to drink', kind: 'paraphrase', expected: 'note-coffee' },
  {
    query: 'which port does the Postgres server for staging use',
    kind: 'paraphrase',
    expected: 'note-db-port',
  },
  {
    query: 'food allergies to keep in mind when picking a restaurant',
    kind: 'paraphrase',
    expected: 'note-allergy',
  },
  { query: 'when are the pictures backed up', kind: 'paraphrase', expected: 'note-backup' },
  {
    query: 'what time can I book a meeting with colleagues in Japan',
    kind: 'paraphrase',
    expected: 'note-timezone',
  },
  { query: 'how often should I water the tomato plants', kind: 'paraphrase', expected: 'note-garden' },
  { query: 'when is the vehicle inspection due', kind: 'paraphrase', expected: 'note-car' },
  { query: 'details of my flight to Munich', kind: 'paraphrase', expected: 'note-flight' },
  { query: 'oven temperature for baking grandma apple pies', kind: 'paraphrase', expected: 'note-recipe' },
  { query: 'where is the wireguard tunnel configured', kind: 'paraphrase', expected: 'note-vpn' },
  { query: 'what is my weekly running schedule', kind: 'paraphrase', expected: 'note-running' },
  { query: 'how to clear cached thumbnails', kind: 'paraphrase', expected: 'note-cache' },
  { query: 'how many approvals does a billing change need', kind: 'paraphrase', expected: 'note-review' },
  { query: 'what should the cat eat', kind: 'paraphrase', expected: 'note-cat' },
  { query: 'why did the gateway leak memory', kind: 'paraphrase', expected: 'note-memory-leak' },
  { query: 'how much is the monthly rent and who receives it', kind: 'paraphrase', expected: 'note-rent' },
  { query: 'which editor fonts and themes does the user prefer', kind: 'paraphrase', expected: 'note-font' },
  { query: 'pods getting evicted because disks are full', kind: 'paraphrase', expected: 'note-kubernetes' },
  { query: 'when is my next dental check up', kind: 'paraphrase', expected: 'note-dentist' },
  { query: 'slow report queries timing out', kind: 'paraphrase', expected: 'note-sql-timeout' },
  {
    query: 'who waters the plants while we are on vacation in Greece',
    kind: 'paraphrase',
    expected: 'note-holiday',
  },
  { query: 'envelopes keep jamming the printer', kind: 'paraphrase', expected: 'note-printer' },
  { query: 'how should the typescript packages be built', kind: 'paraphrase', expected: 'note-typescript' },
  // Keywords: exact identifiers, names and rare terms.
  { query: 'OXY-4711', kind: 'keyword', expected: 'note-ticket' },
  { query: 'AWS_PROFILE', kind: 'keyword', expected: 'note-deploy' },
  { query: '5433', kind: 'keyword', expected: 'note-db-port' },
  { query: 'INV-2024-031', kind: 'keyword', expected: 'note-invoice' },
  { query: 'FLUSHDB', kind: 'keyword', expected: 'note-cache' },
  { query: 'wg0.conf', kind: 'keyword', expected: 'note-vpn' },
  { query: 'LH 2032', kind: 'keyword', expected: 'note-flight' },
  { query: 'Okafor', kind: 'keyword', expected: 'note-rent' },
  { query: 'Miso', kind: 'keyword', expected: 'note-cat' },
  { query: 'Lighthouse-Guest', kind: 'keyword', expected: 'note-wifi' },
  { query: 'JetBrains Mono', kind: 'keyword', expected: 'note-font' },
  { query: 'Blackbird fingerpicking', kind: 'keyword', expected: 'note-guitar' },
  { query: 'customer_id', kind: 'keyword', expected: 'note-sql-timeout' },
  { query: 'Le Guin', kind: 'keyword', expected: 'note-book' },
  { query: 'ephemeral storage 4Gi', kind: 'keyword', expected: 'note-kubernetes' },
  { query: 'Portuguese vocabulary', kind: 'keyword', expected: 'note-language' },
  // Typos: no token of the query occurs in the note as written.
  { query: 'dentsit apointment', kind: 'typo', expected: 'note-dentist' },
  { query: 'wiregaurd tunell', kind: 'typo', expected: 'note-vpn' },
  { query: 'thumbnial cahce', kind: 'typo', expected: 'note-cache' },
  { query: 'Blackbrid fingerpickin', kind: 'typo', expected: 'note-guitar' },
  { query: 'Portugese vocabluary', kind: 'typo', expected: 'note-language' },
  { query: 'ephemral storrage limts', kind: 'typo', expected: 'note-kubernetes' },
  { query: 'Jetbrians Mnoo', kind: 'typo', expected: 'note-font' },
  { query: 'Okafro the landlrod', kind: 'typo', expected: 'note-rent' },
];
