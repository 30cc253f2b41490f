/** Small schema parts several configuration sections share, each built at its first use. */
import { z } from 'zod';
import { once } from '../once.js';

export const positiveInt = once(() => z.int().positive());
export const ratio = once(() => z.number().min(0).max(1));
export const httpUrl = once(() => z.url({ protocol: /^https?$/ }));
