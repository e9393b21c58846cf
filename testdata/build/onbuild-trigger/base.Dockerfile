FROM scratch
COPY base.txt /
ONBUILD COPY trigger.txt /from-trigger/
ONBUILD LABEL triggered=yes
ONBUILD ARG WHO=trigger
ONBUILD ENV BUILT_BY=$WHO
