/*
 * optionhelp.h - --help and --version, printed to stdout.
 */
#ifndef WSC_OPTIONHELP_H
#define WSC_OPTIONHELP_H

/* The usage lines, then every option of the table under its category. */
void options_print_help(void);

/* wsc's version and those of libwebsockets and readline. */
void options_print_version(void);

#endif
