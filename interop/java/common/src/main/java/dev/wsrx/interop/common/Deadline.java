package dev.wsrx.interop.common;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one cell on its own thread with a deadline, so that a stack that waits forever (for an
 * acknowledgement that never comes, say) costs one cell, not the run: on time-out the cell is
 * reported failed at the step it was in, and its thread is left behind (the JVM exits with
 * System.exit at the end).
 */
public final class Deadline {
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cell");
        t.setDaemon(true);
        return t;
    });

    private Deadline() {
    }

    /** A cell body: returns pass/fail and reports its own result; sets {@code step} as it goes. */
    public interface Body {
        boolean run(AtomicReference<String> step) throws Exception;
    }

    public static boolean run(Cell cell, long seconds, Body body) {
        AtomicReference<String> step = new AtomicReference<>("setup");
        Future<Boolean> f = POOL.submit(() -> body.run(step));
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            Report.fail(cell, step.get(), "timed out after " + seconds + " s");
            return false;
        } catch (Exception e) {
            Report.fail(cell, step.get(), e.getCause() == null ? e : e.getCause());
            return false;
        }
    }
}
