/*
 * tcpnodelay — turn off Nagle's algorithm on the milter's TCP listener.
 *
 * Why: at end of message the milter answers in several small writes (one
 * per header change or removed recipient, then the verdict), and libmilter
 * writes each at once. With Nagle on, the final verdict waits for the MTA
 * to acknowledge the first write, and the MTA, which answers nothing to a
 * modification, acknowledges only when its delayed-ACK timer fires: about
 * 40 ms per message on Linux, a fifth of Postfix's throughput. libmilter
 * has no option for TCP_NODELAY and does not expose the sockets it
 * accepts, but on Linux an accepted socket inherits the option from its
 * listener, so setting it once on the listener after smfi_opensocket()
 * covers every MTA connection. Local (unix) sockets have no Nagle.
 *
 * Never closes or otherwise touches a descriptor: it only reads socket
 * options and sets TCP_NODELAY on listening TCP sockets.
 */
#ifndef CONSENT_MILTER_TCPNODELAY_H
#define CONSENT_MILTER_TCPNODELAY_H

/* Sets TCP_NODELAY on every listening TCP socket of this process (the
 * milter has only libmilter's). Returns how many it set (0 when there is
 * none, e.g. a local: socket), or -1 with a sentence in err. */
int milter_listener_nodelay(char err[256]);

#endif
