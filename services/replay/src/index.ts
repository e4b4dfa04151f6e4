export { replayFile, type ReplayResult, type InvalidLine } from './replay.ts';
