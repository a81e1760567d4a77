#ifndef OTASUKE_VERSION_H
#define OTASUKE_VERSION_H

#define OT_VERSION_MAJOR 0
#define OT_VERSION_MINOR 1
#define OT_VERSION_PATCH 0
#define OT_VERSION       "0.1.0"

#endif
