package dev.wsrx.interop.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One cell of the matrix as the client runs it: a name, the profile (the WSDL under the peer's
 * wsdl/ folder), the target URL, how many application messages, one-way or request-reply.
 * Written as one line: {@code name profile url count oneway|rr}; '#' starts a comment.
 */
public record Cell(String name, String profile, String url, int count, boolean oneWay) {

    public static Cell parse(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length != 5) {
            throw new IllegalArgumentException("cell needs 'name profile url count oneway|rr': " + line);
        }
        boolean oneWay = switch (f[4]) {
            case "oneway" -> true;
            case "rr" -> false;
            default -> throw new IllegalArgumentException("mode must be oneway or rr: " + line);
        };
        return new Cell(f[0], f[1], f[2], Integer.parseInt(f[3]), oneWay);
    }

    /** The cells of --cells FILE (one per line) and of every --cell "…". */
    public static List<Cell> fromArgs(Args args) throws IOException {
        List<Cell> cells = new ArrayList<>();
        for (String file : args.all("cells")) {
            for (String line : Files.readAllLines(Path.of(file))) {
                String l = line.replaceAll("#.*", "").trim();
                if (!l.isEmpty()) {
                    cells.add(parse(l));
                }
            }
        }
        for (String c : args.all("cell")) {
            cells.add(parse(c));
        }
        return cells;
    }

    public String mode() {
        return oneWay ? "oneway" : "rr";
    }
}
