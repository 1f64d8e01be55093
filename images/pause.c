/*
 * The pod sandbox process of the hyperhash/pause image: holds the pod's namespaces, sleeps
 * until SIGTERM or SIGINT and exits 0, and reaps any zombie re-parented to it (it is pid 1).
 * Built with `gcc -static -Os` by images/build.ts: no libc in the image.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, 0, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop = {0}, child = {0};
  stop.sa_handler = on_stop;
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGTERM, &stop, 0) || sigaction(SIGINT, &stop, 0) || sigaction(SIGCHLD, &child, 0))
    return 1;
  for (;;) pause();
}
