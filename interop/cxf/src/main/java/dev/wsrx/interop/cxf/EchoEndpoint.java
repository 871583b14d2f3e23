package dev.wsrx.interop.cxf;

import javax.xml.transform.Source;

import dev.wsrx.interop.common.DeliveryLog;
import dev.wsrx.interop.common.Echo;
import jakarta.annotation.Resource;
import jakarta.xml.ws.Provider;
import jakarta.xml.ws.Service;
import jakarta.xml.ws.ServiceMode;
import jakarta.xml.ws.WebServiceContext;
import jakarta.xml.ws.WebServiceProvider;
import org.apache.cxf.jaxws.context.WrappedMessageContext;
import org.apache.cxf.message.Message;
import org.apache.cxf.ws.rm.RMContextUtils;
import org.apache.cxf.ws.rm.RMProperties;

/** The application: records each delivered message and answers Echo with echoResponse. */
@WebServiceProvider
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
        Message message = context.getMessageContext() instanceof WrappedMessageContext w ? w.getWrappedMessage() : null;
        String sequence = null;
        String number = null;
        if (message != null) {
            RMProperties rmps = RMContextUtils.retrieveRMProperties(message, false);
            if (rmps != null && rmps.getSequence() != null) {
                sequence = rmps.getSequence().getIdentifier().getValue();
                number = Long.toString(rmps.getSequence().getMessageNumber());
            }
        }
        log.record(endpoint, sequence, number, text);
        if (message != null && message.getExchange().isOneWay()) {
            return null;
        }
        return Echo.response(text == null ? "" : text);
    }
}
