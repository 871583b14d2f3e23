package dev.wsrx.interop.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The server application's record of what it was handed: one tab-separated line per delivered
 * message, {@code endpoint sequence number text}, appended and flushed before the service returns,
 * so that a test can check exactly-once, in-order delivery on the receiving side ("-" when the
 * stack does not tell the application the sequence or number).
 */
public final class DeliveryLog {
    private final Writer out;

    public DeliveryLog(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    public synchronized void record(String endpoint, String sequence, String number, String text) {
        try {
            out.write(endpoint + "\t" + dash(sequence) + "\t" + dash(number) + "\t" + clean(text) + "\n");
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    private static String clean(String s) {
        return s == null ? "-" : s.replace('\t', ' ').replace('\n', ' ');
    }
}
