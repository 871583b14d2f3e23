package dev.wsrx.interop.cxf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

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
import jakarta.xml.ws.handler.MessageContext;
import javax.xml.namespace.QName;
import org.apache.cxf.Bus;
import org.apache.cxf.BusFactory;
import org.apache.cxf.binding.soap.SoapMessage;
import org.apache.cxf.endpoint.Client;
import org.apache.cxf.jaxws.DispatchImpl;
import org.apache.cxf.message.Message;
import org.apache.cxf.phase.AbstractPhaseInterceptor;
import org.apache.cxf.phase.Phase;
import org.apache.cxf.transport.http.HTTPConduit;
import org.apache.cxf.ws.rm.ManagedRMEndpoint;
import org.apache.cxf.ws.rm.RM10Constants;
import org.apache.cxf.ws.rm.RMEndpoint;
import org.apache.cxf.ws.rm.RMManager;
import org.apache.cxf.ws.rm.SourceSequence;
import org.apache.cxf.ws.security.policy.interceptors.WsrxScCancel;
import org.apache.cxf.ws.security.tokenstore.SecurityToken;

/**
 * Runs cells: for each, a fresh bus and a Dispatch client built from the profile's WSDL (its
 * policy is the whole configuration), COUNT application messages, then the end of the session
 * as a CXF user must write it: wait for the acknowledgements, Close (1.1) / LastMessage (1.0),
 * Terminate, and Cancel the SCT, before the bus shuts down (CXF's own terminateOnShutdown runs
 * after the token store is gone once SC is in use).
 */
final class CxfClient {
    private CxfClient() {
    }

    static int run(Args args) throws Exception {
        String keys = args.require("keys");
        Path wsdlDir = Path.of(args.require("wsdl-dir"));
        Path captureRoot = Path.of(args.require("capture"));
        long ackWaitMs = args.getInt("ack-wait-ms", 20000);
        long cellSeconds = args.getInt("cell-timeout", 90);
        int failed = 0;
        for (Cell cell : Cell.fromArgs(args)) {
            Capture capture = new Capture(captureRoot.resolve(cell.name()));
            if (!Deadline.run(cell, cellSeconds, step -> runCell(cell, keys, wsdlDir, capture, ackWaitMs, step))) {
                failed++;
            }
        }
        return failed == 0 ? 0 : 1;
    }

    static boolean runCell(Cell cell, String keys, Path wsdlDir, Capture capture, long ackWaitMs,
            AtomicReference<String> step) {
        Bus bus = BusFactory.newInstance().createBus();
        BusFactory.setThreadDefaultBus(bus);
        CaptureSender.feature(capture, false).initialize(bus);
        boolean ok = false;
        AtomicReference<SoapMessage> lastSecured = new AtomicReference<>();
        try {
            Service service = Service.create(wsdlDir.resolve(cell.profile() + ".wsdl").toUri().toURL(),
                    CxfServer.SERVICE);
            Dispatch<Source> dispatch = service.createDispatch(CxfServer.PORT, Source.class, Service.Mode.PAYLOAD);
            Map<String, Object> rc = dispatch.getRequestContext();
            rc.put(BindingProvider.ENDPOINT_ADDRESS_PROPERTY, cell.url());
            rc.put(MessageContext.WSDL_OPERATION, new QName(Echo.NS, cell.oneWay() ? "Notify" : "Echo"));
            rc.put("security.encryption.properties", Keys.merlin(keys, "truststore.p12", null));
            rc.put("security.encryption.username", "server");
            rc.put("security.username", Keys.USER);
            rc.put("security.password", Keys.USER_PASSWORD);
            rc.put("security.callback-handler", new Keys.Passwords());
            Client client = ((DispatchImpl<?>) dispatch).getClient();
            HTTPConduit conduit = (HTTPConduit) client.getConduit();
            conduit.getClient().setReceiveTimeout(30000);
            conduit.getClient().setConnectionTimeout(5000);
            client.getOutInterceptors().add(new AbstractPhaseInterceptor<Message>(Phase.POST_LOGICAL) {
                @Override
                public void handleMessage(Message message) {
                    if (message instanceof SoapMessage sm) {
                        lastSecured.set(sm);
                    }
                }
            });

            List<String> replies = new ArrayList<>();
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
                    replies.add(got);
                }
            }

            RMManager manager = bus.getExtension(RMManager.class);
            RMEndpoint rme = manager == null ? null : manager.findReliableEndpoint(CxfServer.SERVICE);
            if (rme == null) {
                Report.fail(cell, "acks", "no reliable endpoint: the policy did not switch WS-RM on");
                return false;
            }
            step.set("acks");
            long deadline = System.currentTimeMillis() + ackWaitMs;
            while (!allAcknowledged(rme) && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            if (!allAcknowledged(rme)) {
                Report.fail(cell, "acks", "not every message acknowledged after " + ackWaitMs + " ms");
                return false;
            }
            ManagedRMEndpoint managed = new ManagedRMEndpoint(rme);
            for (SourceSequence seq : new ArrayList<>(rme.getSource().getAllSequences())) {
                String sid = seq.getIdentifier().getValue();
                boolean rm10 = RM10Constants.NAMESPACE_URI.equals(seq.getProtocol().getWSRMNamespace());
                step.set((rm10 ? "LastMessage " : "close ") + sid);
                managed.closeSourceSequence(sid);
                // WS-RM 1.0: CXF's source sends TerminateSequence by itself once the LastMessage
                // is acknowledged, and forgets the sequence; with 1.1 it waits for ours.
                long until = System.currentTimeMillis() + (rm10 ? 10000 : 0);
                while (Arrays.asList(managed.getSourceSequenceIds(true)).contains(sid)
                        && System.currentTimeMillis() < until) {
                    Thread.sleep(100);
                }
                if (Arrays.asList(managed.getSourceSequenceIds(true)).contains(sid)) {
                    step.set("terminate " + sid);
                    managed.terminateSourceSequence(sid);
                }
            }
            SoapMessage secured = lastSecured.get();
            String cancel = "";
            if (secured != null && WsrxScCancel.usesSecureConversation(secured)) {
                step.set("cancel");
                SecurityToken sct = WsrxScCancel.token(secured);
                if (sct != null && sct.getSecret() != null) {
                    // Throw-away session key of this test run, kept with the capture so that the
                    // recorded messages can be verified and decrypted (testdata/cxf/MANIFEST.md).
                    Files.writeString(capture.dir().resolve("sct.txt"), "id " + sct.getId()
                            + "\nsecret " + Base64.getEncoder().encodeToString(sct.getSecret()) + "\n");
                }
                // CXF's STSClient logs a failure and returns false: the peer's own error is in the log.
                cancel = WsrxScCancel.cancel(secured) ? ", SCT cancelled"
                        : ", SCT Cancel sent (CXF's client refused the answer, see its log)";
            }
            Report.pass(cell, cell.count() + " " + cell.mode() + (cell.oneWay() ? "" : ", " + replies.size() + " replies")
                    + ", closed, terminated" + cancel);
            ok = true;
        } catch (Throwable t) {
            Report.fail(cell, step.get(), t);
        } finally {
            try {
                bus.shutdown(true);
            } catch (RuntimeException e) {
                System.err.println("bus shutdown: " + Report.describe(e));
            }
        }
        return ok;
    }

    private static boolean allAcknowledged(RMEndpoint rme) {
        for (SourceSequence s : rme.getSource().getAllSequences()) {
            for (long n = 1; n <= s.getCurrentMessageNr(); n++) {
                if (!s.isAcknowledged(n)) {
                    return false;
                }
            }
        }
        return true;
    }
}
