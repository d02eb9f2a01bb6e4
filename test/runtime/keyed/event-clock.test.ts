import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventClock, NO_WATERMARK } from '../../../src/runtime/keyed/event-clock.js';

describe('event clock', () => {
  it('follows the wall clock once a read-to-the-end input is quiet, and says so once with its lag', () => {
    const clock = new EventClock({ outOfOrdernessMs: 100, idleAfterMs: 1000, upstream: 0 }, 0);
    clock.onRecord(50_000, 10_000);
    assert.equal(clock.watermark, 50_000 - 100 - 1);
    assert.equal(clock.onIdle(10_900, true), 49_899); // not quiet long enough yet
    assert.equal(clock.idleLag, undefined);
    assert.equal(clock.onIdle(11_500, false), 49_899); // not read to its end: no advance
    assert.equal(clock.onIdle(11_500, true), 49_899 + 500);
    // W = now − lag from here on: lag = lastRecordAt + idleAfter − W₀.
    assert.equal(clock.idleLag, 10_000 + 1000 - 49_899);
    assert.equal(clock.onIdle(20_000, true), 20_000 - (clock.idleLag ?? 0));
    clock.onRecord(50_010, 20_100); // a record again: no longer idle, W never goes back
    assert.equal(clock.idleLag, undefined);
    assert.equal(clock.watermark, 49_899 + 9000);
  });

  it('after a repartition: the minimum over upstream tasks, an idle one following the wall clock', () => {
    const clock = new EventClock({ outOfOrdernessMs: 0, idleAfterMs: 0, upstream: 2 }, 0);
    clock.onMarker(0, 1_000, 0);
    assert.equal(clock.watermark, NO_WATERMARK); // task 1 has said nothing yet
    clock.onMarker(1, 5_000, 0, 100_000); // task 1 idle: W₁ = max(5000, now − 100000)
    assert.equal(clock.watermark, 1_000);
    assert.equal(clock.idleLag, undefined); // task 0 is not idle
    clock.onMarker(0, 2_000, 0, 90_000);
    assert.equal(clock.watermark, 2_000);
    assert.equal(clock.idleLag, 100_000); // both idle: the largest lag
    assert.equal(clock.onIdle(104_000, true), 5_000); // min(max(2000, 14000), max(5000, 4000))
    assert.equal(clock.onIdle(200_000, true), 100_000);
    clock.onMarker(1, 100_500, 200_100); // task 1 has records again
    assert.equal(clock.idleLag, undefined);
    assert.equal(clock.onIdle(300_000, true), 100_500); // held by task 1 now
    // The idle lags are part of the saved clock: a restored task goes on as before.
    const restored = new EventClock(
      { outOfOrdernessMs: 0, idleAfterMs: 0, upstream: 2 },
      0,
      clock.snapshot(),
    );
    assert.deepEqual(restored.snapshot(), clock.snapshot());
    assert.equal(restored.onIdle(300_000, true), 100_500);
  });
});
