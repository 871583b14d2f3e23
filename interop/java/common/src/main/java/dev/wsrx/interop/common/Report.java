package dev.wsrx.interop.common;

/** The client's one line per cell: {@code RESULT <cell> PASS} or {@code RESULT <cell> FAIL <step>: <error>}. */
public final class Report {
    private Report() {
    }

    public static void pass(Cell cell, String detail) {
        System.out.println("RESULT " + cell.name() + " PASS" + (detail == null ? "" : " " + detail));
        System.out.flush();
    }

    public static void fail(Cell cell, String step, Throwable error) {
        System.out.println("RESULT " + cell.name() + " FAIL " + step + ": " + describe(error));
        System.out.flush();
    }

    public static void fail(Cell cell, String step, String error) {
        System.out.println("RESULT " + cell.name() + " FAIL " + step + ": " + error.replace('\n', ' '));
        System.out.flush();
    }

    /** The peer's own error: the chain of messages, innermost last, on one line. */
    public static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        java.util.Set<Throwable> seen = new java.util.HashSet<>();
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            if (sb.length() > 0) {
                sb.append(" <- ");
            }
            sb.append(c.getClass().getSimpleName());
            if (c.getMessage() != null) {
                sb.append(": ").append(c.getMessage());
            }
        }
        String s = sb.toString().replace('\n', ' ').replace('\r', ' ');
        return s.length() > 600 ? s.substring(0, 600) + "…" : s;
    }
}
