import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAppSchema } from '../resolvers/build-schema';

/** `npm run schema:emit`: writes src/schema/schema.graphql, the contract as clients see it. */
const target = path.join(path.dirname(fileURLToPath(import.meta.url)), '../schema/schema.graphql');
await buildAppSchema(target);
console.log(`Wrote ${target}`);
