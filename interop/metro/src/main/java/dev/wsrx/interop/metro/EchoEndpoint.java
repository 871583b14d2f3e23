package dev.wsrx.interop.metro;

import javax.xml.namespace.QName;
import javax.xml.transform.Source;

import dev.wsrx.interop.common.DeliveryLog;
import dev.wsrx.interop.common.Echo;
import jakarta.annotation.Resource;
import jakarta.xml.ws.Provider;
import jakarta.xml.ws.Service;
import jakarta.xml.ws.ServiceMode;
import jakarta.xml.ws.WebServiceContext;
import jakarta.xml.ws.WebServiceProvider;
import jakarta.xml.ws.handler.MessageContext;

/** The application: records each delivered message and answers Echo with echoResponse. */
@WebServiceProvider(serviceName = "EchoService", portName = "EchoPort", targetNamespace = Echo.NS)
@ServiceMode(Service.Mode.PAYLOAD)
public class EchoEndpoint implements Provider<Source> {
    private final String endpoint;
    private final DeliveryLog log;

    @Resource
    private WebServiceContext context;

    EchoEndpoint(String endpoint, DeliveryLog log) {
        this.endpoint = endpoint;
        this.log = log;
    }

    @Override
    public Source invoke(Source request) {
        String text = Echo.textOf(request);
        MessageContext mc = context.getMessageContext();
        Object sequence = mc.get("com.sun.xml.ws.sequence");
        Object number = mc.get("com.sun.xml.ws.messagenumber");
        log.record(endpoint, sequence == null ? null : sequence.toString(), number == null ? null : number.toString(), text);
        Object op = mc.get(MessageContext.WSDL_OPERATION);
        if (op instanceof QName q && q.getLocalPart().equals("Notify")) {
            return null;
        }
        return Echo.response(text == null ? "" : text);
    }
}
