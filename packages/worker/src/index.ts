export { HEARTBEAT_SECONDS, type RunningWorker, startWorker, taskList, type WorkerOptions } from './worker';
