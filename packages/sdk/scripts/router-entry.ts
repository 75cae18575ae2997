/** What the generator reads: the hub router's procedures and error shape, as the compiler sees them. */
import type { AppRouter } from '@ppv/core';

export type Procedures = AppRouter['_def']['record'];
export type ErrorShape = AppRouter['_def']['_config']['$types']['errorShape'];
