export const API_TOKEN_PREFIX = 'ppv_pat_';
