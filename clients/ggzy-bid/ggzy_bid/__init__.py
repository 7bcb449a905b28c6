"""The bidder's command-line tool ``ggzy-bid``: keys, signatures and digests on the bidder's
own machine. No Django here: it must run where only the client package is installed."""
