/**
 * The one place the detection module gets its indicator index from: the pattern engine's (src/core/pattern).
 */
export {
  buildIndicatorIndex,
  type IndicatorIndex,
  type IndicatorInput,
  type Observation,
} from '../core/pattern/index.js';
