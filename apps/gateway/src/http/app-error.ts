export { AppError } from '@fedchat/common';
