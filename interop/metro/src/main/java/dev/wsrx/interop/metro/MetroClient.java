package dev.wsrx.interop.metro;

import java.nio.file.Path;
import java.util.Map;

import javax.xml.transform.Source;

import dev.wsrx.interop.common.Args;
import dev.wsrx.interop.common.Capture;
import dev.wsrx.interop.common.Cell;
import dev.wsrx.interop.common.Deadline;
import dev.wsrx.interop.common.Echo;
import dev.wsrx.interop.common.Report;
import jakarta.xml.ws.BindingProvider;
import jakarta.xml.ws.Dispatch;
import jakarta.xml.ws.Service;

/**
 * Runs cells: for each, a Dispatch client built from the profile's WSDL (its policy is the whole
 * configuration), COUNT application messages, then close(), with which Metro waits for the
 * acknowledgements, closes and terminates the sequences and cancels the SCT.
 */
final class MetroClient {
    private MetroClient() {
    }

    static int run(Args args) throws Exception {
        Path wsdlDir = Path.of(args.require("wsdl-dir"));
        Path captureRoot = Path.of(args.require("capture"));
        long cellSeconds = args.getInt("cell-timeout", 90);
        int failed = 0;
        for (Cell cell : Cell.fromArgs(args)) {
            WireCapture.clientTarget = new Capture(captureRoot.resolve(cell.name()));
            if (!Deadline.run(cell, cellSeconds, step -> runCell(cell, wsdlDir, step))) {
                failed++;
            }
        }
        WireCapture.clientTarget = null;
        return failed == 0 ? 0 : 1;
    }

    static boolean runCell(Cell cell, Path wsdlDir, java.util.concurrent.atomic.AtomicReference<String> step) {
        Dispatch<Source> dispatch = null;
        try {
            Service service = Service.create(wsdlDir.resolve(cell.profile() + ".wsdl").toUri().toURL(),
                    MetroServer.SERVICE);
            dispatch = service.createDispatch(MetroServer.PORT, Source.class, Service.Mode.PAYLOAD);
            Map<String, Object> rc = dispatch.getRequestContext();
            rc.put(BindingProvider.ENDPOINT_ADDRESS_PROPERTY, cell.url());
            rc.put(BindingProvider.SOAPACTION_USE_PROPERTY, Boolean.TRUE);
            rc.put(BindingProvider.SOAPACTION_URI_PROPERTY, cell.oneWay() ? Echo.NOTIFY_ACTION : Echo.ECHO_ACTION);
            rc.put(BindingProvider.USERNAME_PROPERTY, "alice");
            rc.put(BindingProvider.PASSWORD_PROPERTY, "secret");
            rc.put("com.sun.xml.ws.request.timeout", 30000);
            rc.put("com.sun.xml.ws.connect.timeout", 5000);
            int replies = 0;
            for (int i = 1; i <= cell.count(); i++) {
                String text = cell.name() + "-" + i;
                step.set("message " + i);
                if (cell.oneWay()) {
                    dispatch.invokeOneWay(Echo.request(text));
                } else {
                    Source reply = dispatch.invoke(Echo.request(text));
                    String got = Echo.textOf(reply);
                    if (!text.equals(got)) {
                        Report.fail(cell, "reply " + i, "expected '" + text + "', got " + Echo.toXml(reply));
                        return false;
                    }
                    replies++;
                }
            }
            step.set("close (acks, Close/Terminate, Cancel)");
            AutoCloseable closeable = (AutoCloseable) dispatch;
            dispatch = null;
            closeable.close();
            Report.pass(cell, cell.count() + " " + cell.mode() + (cell.oneWay() ? "" : ", " + replies + " replies")
                    + ", closed");
            return true;
        } catch (Throwable t) {
            Report.fail(cell, step.get(), t);
            return false;
        } finally {
            if (dispatch != null) {
                try {
                    ((AutoCloseable) dispatch).close();
                } catch (Exception e) {
                    System.err.println("close after failure: " + Report.describe(e));
                }
            }
        }
    }
}
