package dev.wsrx.interop.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wire capture: every message the stack sends or receives, one file per message
 * ({@code NNNN-<direction>.xml}, the bytes as on the wire), and one line per message in
 * {@code index.tsv}: number, direction, address, content type, SOAP action (when known).
 */
public final class Capture {
    private final Path dir;
    private final AtomicInteger counter = new AtomicInteger();

    public Capture(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    public void write(String direction, String address, String contentType, String action, String payload) {
        int n = counter.incrementAndGet();
        String name = String.format("%04d-%s.xml", n, direction);
        try {
            Files.writeString(dir.resolve(name), payload == null ? "" : payload, StandardCharsets.UTF_8);
            String line = String.join("\t", name, direction, nz(address), nz(contentType), nz(action)) + "\n";
            synchronized (this) {
                Files.writeString(dir.resolve("index.tsv"), line, StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String nz(String s) {
        return s == null ? "-" : s.replace('\t', ' ').replace('\n', ' ');
    }
}
