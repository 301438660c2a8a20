import { InitialSchema1763780000000 } from './1763780000000-initial-schema';

export { InitialSchema1763780000000 };

/** In order of application. */
export const MIGRATIONS = [InitialSchema1763780000000];
