FROM scratch
COPY hello.txt /from-outside/
COPY . /whole-context/
