/** Local time in an IANA zone: the simulator uses the shared ZoneClock of @cs/runtime. */
export { ZoneClock, parseDate, type LocalDate } from '@cs/runtime';

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
