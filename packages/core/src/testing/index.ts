export { describeDialectConformance, type ConformanceTarget, type DialectConformanceOptions } from './conformance.js';
