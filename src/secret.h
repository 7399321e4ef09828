/*
 * secret.h - ask for a password on the controlling terminal without echo.
 */
#ifndef WSC_SECRET_H
#define WSC_SECRET_H

/*
 * Print the prompt on /dev/tty, read one line
 * with echo off and return it malloc'd, or NULL when there is no terminal.
 * The terminal settings are restored before returning.
 */
char *secret_ask(const char *prompt);

#endif
