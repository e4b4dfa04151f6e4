export { replayFile, type ReplayResult, type InvalidLine } from './replay.ts';
export { listDeadLetters, countDeadLetters, selectForReplay, replayDeadLetters, type DeadLetterFilter, type ListedDeadLetter, type DeadLetterSource, type DeadLetterReplayResult, type RowQuery } from './dead-letters.ts';
