export * from './errors';
export * from './ffmpeg';
export * from './ladder';
export * from './probe';
export * from './sniff';
export * from './storage';
export * from './transcode';
